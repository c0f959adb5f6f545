import type { WaitReason } from './admission.js';

/** Why the queue is paused, in the order `state` reports them when several apply. */
export const PAUSE_REASONS = ['user', 'offline', 'save-data', 'quota-exceeded', 'unauthorized'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/** What the download queue is doing (the engine's `state` event is built from it). */
export type SchedulerState =
  | { state: 'idle' }
  | { state: 'downloading' }
  | { state: 'waiting'; reason: WaitReason; until: number }
  | { state: 'paused'; reason: PauseReason };
