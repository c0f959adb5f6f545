import type { ErrorCode } from '../errors/codes.js';
import type { PauseReason, WaitReason } from '../scheduler/Scheduler.js';

import type { ResetKind } from '../reset/resetKinds.js';

export { RESET_KINDS, type ResetKind } from '../reset/resetKinds.js';

export interface SyncReport {
  kind: ResetKind;
  /** Every kind that applies, in the order above (`none` only when nothing else does). */
  reasons: ResetKind[];
  /** Epoch of the manifest in force before this sync (0 on a fresh store). */
  fromEpoch: number;
  /** Epoch of the manifest in force after it. */
  toEpoch: number;
  manifest: 'accepted' | 'unreachable';
  /** Offline content that verified (or, for `none`, is present) and stays. */
  kept: { tracks: number; bytes: number };
  /** Offline content queued for download. */
  toFetch: { tracks: number; bytes: number };
  /** Stored chunks whose bytes no longer matched their digest (removed, queued again). */
  corruptChunks: number;
  /** Chunks of once-complete offline tracks that were not in the store. */
  missingChunks: number;
  /** Tracks on the device that cannot be played until a trusted manifest verifies them. */
  heldBack: { tracks: number };
  /** Tracks refused on their own (security rule 3). */
  refused: { trackId: string; code: ErrorCode }[];
  durationMs: number;
}

export type EngineState =
  | { state: 'idle' }
  | { state: 'syncing' }
  | { state: 'auditing'; progress: { chunksDone: number; chunksTotal: number } }
  | { state: 'downloading' }
  | { state: 'waiting'; reason: WaitReason; until: number }
  | { state: 'paused'; reason: PauseReason }
  | { state: 'closed' };

export interface ProgressEvent {
  trackId: string;
  bytesDone: number;
  bytesTotal: number;
  overall: { bytesDone: number; bytesTotal: number; bytesPerSecond: number; etaSeconds: number | null };
}

export interface CacheEvents {
  progress: ProgressEvent;
  'track-complete': { trackId: string };
  'track-failed': { trackId: string; code: ErrorCode; message: string };
  state: EngineState;
  reset: SyncReport;
  /** A new service worker is waiting (page client only). */
  'app-update': { scriptUrl?: string };
}

export type CacheEventType = keyof CacheEvents;

export type TrackState = 'complete' | 'downloading' | 'queued' | 'partial' | 'missing' | 'failed' | 'refused' | 'held-back' | 'online-only';

export interface TrackStatus {
  id: string;
  title?: string;
  artist?: string;
  state: TrackState;
  bytesDone: number;
  bytesTotal: number;
  failure?: { code: ErrorCode; message: string };
}

export interface PlaylistStatus {
  id: string;
  name: string;
  offline: boolean;
  /** Whose choice `offline` is: the device's (setOffline) or the service's manifest record. */
  source: 'device' | 'service';
  pinned: boolean;
  evicted: boolean;
  lastPlayedAt: number | null;
  trackIds: string[];
  tracksComplete: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface CacheStatus {
  state: EngineState;
  /** The manifest in force: null before the first sync, and while the stored one's key is no longer trusted (everything held back). */
  manifest: { epoch: number; kid: string; issuedAt: string; expiresAt: string | null } | null;
  /** The highest security epoch ever accepted (kept by clear()). */
  securityEpoch: number;
  throttle: { maxConcurrent: number; bytesPerSecond: number | null };
  storage: {
    /** Bytes of chunks this cache holds. */
    bytesStored: number;
    /** The origin's usage (`navigator.storage.estimate()`); null where the engine has no estimate (WebKitGTK). */
    usage: number | null;
    /** The origin's quota as far as it is known; null when unknown. */
    quota: number | null;
    /** Where `quota` comes from: the browser's estimate, or what the origin held when a write failed for quota (the real ceiling; Chromium's estimate reports usage + 10 GiB). */
    quotaSource: 'estimate' | 'quota-error' | null;
    /** Whether persistent storage was granted (asked for by the page the first time a playlist goes offline); null where the API does not exist. */
    persisted: boolean | null;
  };
  /**
   * What this engine (browser, WebView) offers and so what reprise does instead where it lacks it
   * (docs/engines.md): without `storageEstimate` usage and quota are null and a full disk is learnt
   * from a failed write; without `webLocks` every tab writes on its own (run one tab).
   */
  platform: { storageEstimate: boolean; webLocks: boolean };
  /** Track ids in download order (running first). */
  queue: string[];
  playlists: PlaylistStatus[];
  tracks: TrackStatus[];
}

/** What `verify()` found: every stored chunk re-hashed against the manifest in force. */
export interface AuditReport {
  /** Stored chunks hashed. */
  chunksChecked: number;
  bytesChecked: number;
  /** Chunks whose bytes no longer match their digest: removed and queued again. */
  corruptChunks: number;
  /** After the check: the tracks complete on the device, and the bytes they hold. */
  kept: { tracks: number; bytes: number };
  /** After the check: the tracks still to download (corrupt chunks included), and the bytes missing. */
  toFetch: { tracks: number; bytes: number };
  durationMs: number;
}
