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
export const SCHEMA_VERSION = 1;

export interface ChunkRecord {
  bytes: ArrayBuffer;
}

export interface AcceptedManifest {
  jws: string;
  /** `kid` of the key that signed it. */
  kid: string;
  epoch: number;
  /** The manifest URL it was fetched from (track URLs resolve against it). */
  url: string;
  acceptedAt: number;
}

export interface MetaRecord {
  /** The schema version that wrote this record. */
  schemaVersion: number;
  /** The manifest in force, verified when it was accepted and again whenever it is loaded. */
  manifest?: AcceptedManifest;
  /** Security state: kept by clear(), so clearing never re-opens a rollback (rule 2). */
  highestEpoch: number;
  /** Key ids revoked by accepted manifests (the app's own list is added at run time). */
  revokedKeyIds: string[];
}

/** The device's own choices for a playlist; absent fields fall back to the service's record. */
export interface PlaylistRecord {
  id: string;
  offline?: boolean;
  pinned?: boolean;
  lastPlayedAt?: number;
}

export interface TrackFailure {
  code: ErrorCode;
  message: string;
  at: number;
  /** The content id that failed: a new manifest with different content clears the failure. */
  contentId: string;
}

export interface TrackRecord {
  id: string;
  lastPlayedAt?: number;
  failure?: TrackFailure;
}

export interface RepriseDB extends DBSchema {
  meta: { key: 'state'; value: MetaRecord };
  chunks: { key: string; value: ChunkRecord };
  playlists: { key: string; value: PlaylistRecord };
  tracks: { key: string; value: TrackRecord };
}
