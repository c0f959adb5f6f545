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

/** The queue's state from what it knows: a pause first, then a full store with nothing running, downloads, a wait. */
export function schedulerState(q: { pause: PauseReason | undefined; spaceBlocked: boolean; running: number; planned: number; waiting: { reason: WaitReason; until: number } | undefined }): SchedulerState {
  if (q.pause) return { state: 'paused', reason: q.pause };
  if (q.spaceBlocked && q.running === 0) return { state: 'paused', reason: 'quota-exceeded' };
  if (q.running > 0) return { state: 'downloading' };
  if (q.planned > 0 && q.waiting) return { state: 'waiting', ...q.waiting };
  return { state: 'idle' };
}
