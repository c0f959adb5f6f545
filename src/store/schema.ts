import type { DBSchema } from 'idb';
import type { ErrorCode } from '../errors/codes.js';

/**
 * The IndexedDB schema. Bump {@link SCHEMA_VERSION} for every change and add a migration step
 * in `migrations.ts` plus a fixture of the old version under `test/fixtures/`.
 *
 * Chunks are keyed by their own SHA-256 digest (base64url): a stored value is exactly one
 * manifest chunk, verbatim, so every value can be checked against its key (storage invariant 1),
 * and equal bytes are stored once whichever tracks, playlists or content ids share them
 * (invariant 5) — including the unchanged chunks of a track re-published with new content.
 */
export const SCHEMA_VERSION = 3;

/**
 * Released schema versions, oldest first, with what changed. Each has a fixture
 * (`test/fixtures/store-v<N>.json`) that the schema-upgrade tests open with the current code.
 *  1  meta, chunks (digest-keyed), playlists, tracks.
 *  2  + `audits` (digest → audit id): an audit interrupted half-way resumes without re-hashing.
 */
export const SCHEMA_HISTORY = [1, 2, 3] as const;

/**
 * One stored chunk. Browsers store it as a `Blob` (their IndexedDB keeps Blob values in files of
 * their own, so a track composed of them plays without being read into memory: docs/playback-url.md
 * "Without a service worker"); stores written before, and Node's in-memory fakes, hold an
 * `ArrayBuffer`. Readers accept both, so no migration is needed (storage invariant 6). Either way
 * the value is one chunk, verbatim (invariant 1).
 */
export interface ChunkRecord {
  bytes: ArrayBuffer | Blob;
}

export interface AcceptedManifest {
  jws: string;
  /** `kid` of the key that signed it. */
  kid: string;
  epoch: number;
  /** The manifest URL it was fetched from (track URLs resolve against it). */
  url: string;
  acceptedAt: number;
  /** 1 or 2 (absent: 1, written before format 2 existed). */
  format?: 1 | 2;
  /** The root response's ETag, for the next sync's `If-None-Match`. */
  etag?: string;
  /**
   * Format 2: the SHA-256 (base64url) of the root's payload whose signature this device verified,
   * and when: the root is not verified again at a reload while its payload and key are unchanged.
   */
  verified?: { payloadSha256: string; at: number };
}

/** Format 2's rollback state for one `subject` (docs/how-it-works.md: `version` never decreases). */
export interface VersionState {
  version: number;
  payloadSha256: string;
}

/** An integrity audit in progress or done (docs/how-it-works.md "Reset detection"). */
export interface AuditMarker {
  /** Chunks marked with this id in `audits` were verified by this audit. */
  id: string;
  /** What the audit checks against: the newly accepted manifest, or the stored one (offline app-epoch). */
  against: 'accepted' | 'stored';
  complete: boolean;
}

export interface MetaRecord {
  /** The schema version that wrote this record. */
  schemaVersion: number;
  /** The schema version found before a migration, until a sync() reported it (`schema-upgrade`). */
  migratedFrom?: number;
  /** False when the stored manifest's key is revoked or untrusted: the service worker serves nothing. */
  manifestTrusted?: boolean;
  audit?: AuditMarker;
  /** Counter for audit ids. */
  audits?: number;
  /** The manifest in force, verified when it was accepted and again whenever it is loaded. */
  manifest?: AcceptedManifest;
  /** Security state: kept by clear(), so clearing never re-opens a rollback (rule 2). */
  highestEpoch: number;
  /** Key ids revoked by accepted manifests (the app's own list is added at run time). */
  revokedKeyIds: string[];
  /** The highest epoch in which a format-2 root was accepted: a v1 manifest there is a rollback. Kept by clear(). */
  formatTwoEpoch?: number;
  /** Format 2: the last version accepted per subject ("" for none). Forgotten by clear() (a shared device can switch accounts). */
  versions?: Record<string, VersionState>;
}

/** The signed text of the manifest readers may serve from: the one in force while it is trusted, else none. */
export function servedManifestJws(meta: MetaRecord): string | undefined {
  return meta.manifest && meta.manifestTrusted !== false ? meta.manifest.jws : undefined;
}

/** The device's own choices for a playlist; absent fields fall back to the service's record. */
export interface PlaylistRecord {
  id: string;
  offline?: boolean;
  pinned?: boolean;
  lastPlayedAt?: number;
  /** When the device last chose to keep it offline (for the storage budget's "least recently used"). */
  offlineAt?: number;
  /** Released by the `maxBytes` budget rather than by the user. */
  evicted?: boolean;
}

export interface TrackFailure {
  code: ErrorCode;
  message: string;
  at: number;
  /** The content id that failed: a new manifest with different content clears the failure. */
  contentId: string;
  /** Transient failures that used up their retries (a dead zone): `resume()` and `online` try again. */
  gaveUp?: boolean;
}

export interface TrackRecord {
  id: string;
  /** The content id this track had when it last became complete: its chunks are expected present. */
  completedContentId?: string;
  /** Its size then, so a held-back track can be shown without reading an untrusted manifest. */
  bytes?: number;
  lastPlayedAt?: number;
  failure?: TrackFailure;
  /** Stored because it was played, not because an offline playlist needs it: evicted first (storage invariant 5). */
  cachedByPlay?: boolean;
}

export interface RepriseDB extends DBSchema {
  meta: { key: 'state'; value: MetaRecord };
  chunks: { key: string; value: ChunkRecord };
  playlists: { key: string; value: PlaylistRecord };
  tracks: { key: string; value: TrackRecord };
  /** Format 2's parts by SHA-256 (schema 3): immutable, named by their hash. */
  parts: { key: string; value: ArrayBuffer };
  /** Format 2's chunk lists by content id (schema 3): kept with their content. */
  chunkLists: { key: string; value: ArrayBuffer };
  /** digest → id of the audit that verified it (schema 2). */
  audits: { key: string; value: string };
}
