import type { ThrottleOptions } from './EngineOptions.js';
import type { AuditReport, CacheEvents, CacheStatus, SyncReport } from './types.js';

/** The operations of docs/how-it-works.md "Public API", the same in a worker, in Node and in tests. */
export interface CacheEngine {
  /** Fetches and verifies the manifest, detects a reset, audits, and queues downloads (which go on after it resolves). */
  sync(): Promise<SyncReport>;
  /** The device's choice for a playlist. `pinned` keeps it from eviction under `maxBytes`. */
  setOffline(playlistId: string, offline: boolean, options?: { pinned?: boolean }): Promise<void>;
  /**
   * A snapshot: engine state, the manifest in force (null before the first sync), throttle,
   * storage (`bytesStored`, `usage`, `quota`, `persisted`), the download queue, and every
   * playlist and track with its progress. Never waits behind network work.
   */
  status(): Promise<CacheStatus>;
  /** The track's bytes, every chunk verified as it is read. Rejects `not-cached` (and queues it first) if it is not complete — `network` when the device is offline — with `details.bytesDone` of `bytesTotal`; `storage-failed` when the browser does not return a stored chunk (docs/playback-url.md). */
  getTrack(trackId: string): Promise<Blob>;
  /** Moves a queued track to the front, past the reset window. False when it is not queued. */
  prioritize(trackId: string): Promise<boolean>;
  /** The caller's pause: downloads stop (state `paused`, reason `user`); playback from storage goes on. */
  pause(): Promise<void>;
  /**
   * Ends the caller's pause, a pause for a refused authorization (`unauthorized`: the app signed
   * in again) and one for a full quota (`quota-exceeded`: the app freed space); `offline` and
   * `save-data` still apply. Tracks that gave up on network errors are queued again.
   */
  resume(): Promise<void>;
  /** Changes the cap within 250 ms, also for requests in flight; the manifest's `resync` hints can only lower it. */
  setThrottle(throttle: ThrottleOptions): Promise<void>;
  /**
   * Re-hashes every stored chunk of the content the device keeps now (offline playlists, and what
   * was kept because it was played). A chunk that fails is deleted: an offline track's is fetched
   * again, a played one's when it is played next.
   */
  verify(): Promise<AuditReport>;
  /** Releases a playlist and forgets the device's choice for it (the service's record applies from the next sync). */
  remove(playlistId: string): Promise<void>;
  /** Removes all content and choices; keeps the security state. */
  clear(): Promise<void>;
  /** Stops downloads, closes the store and (on the page) ends the worker; every call still in flight resolves or rejects `aborted`. The handle is unusable after. */
  close(): Promise<void>;
  /** Subscribes to an event (see {@link CacheEvents}); returns the unsubscribe function. */
  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void;
  /** Resolves when the queue has nothing it can do on its own: empty, paused or failed. */
  idle(): Promise<void>;
}

import type { PlaybackReport } from '../playback/PlaybackReport.js';

export type { PlaybackReport };

/** The engine that writes (the leading tab's): the public operations plus the service worker's reports. */
export interface LeadingEngine extends CacheEngine {
  playbackReport(report: PlaybackReport): Promise<void>;
}
