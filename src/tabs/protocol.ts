import type { CacheEngine } from '../engine/CacheEngine.js';
import type { CacheEvents } from '../engine/types.js';

/**
 * The engine operations that cross a boundary (page → worker, follower tab → leading tab): the
 * one list both proxies are built from. `close` and `on` stay local to each side.
 */
export const ENGINE_METHODS = [
  'sync',
  'setOffline',
  'status',
  'getTrack',
  'prioritize',
  'pause',
  'resume',
  'setThrottle',
  'verify',
  'remove',
  'clear',
  'idle',
] as const satisfies readonly (keyof CacheEngine)[];

/** Engine operations a tab that does not lead hands to the one that does. */
export type EngineMethod = (typeof ENGINE_METHODS)[number] | 'playbackReport';

/**
 * Messages on the BroadcastChannel `reprise:<dbName>`, a discriminated union on `type` (the
 * comlink way: the wire protocol is types only).
 */
export type TabMessage =
  /** A tab took the Web Lock: from now on it runs the engine. */
  | { type: 'leader'; tab: string }
  /** A tab asks who leads (it just started). */
  | { type: 'who' }
  | { type: 'call'; id: string; from: string; to: string; method: EngineMethod; args: unknown[] }
  | { type: 'reply'; id: string; to: string; ok: true; value: unknown }
  | { type: 'reply'; id: string; to: string; ok: false; error: { name: string; message: string; details?: unknown } }
  /** An engine event, re-emitted by every tab to its page. */
  | { type: 'event'; event: { [K in keyof CacheEvents]: { type: K; data: CacheEvents[K] } }[keyof CacheEvents] };
