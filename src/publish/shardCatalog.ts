import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestPlaylist } from '../manifest/schema.js';
import type { ManifestTrackV2 } from '../manifest/v2/partSchema.js';

export interface PartContent {
  tracks: ManifestTrackV2[];
  playlists: ManifestPlaylist[];
}

/** Items per part the default part count aims at: small parts make a one-track change cheap. */
export const ITEMS_PER_PART = 100;

/** A power of two near `items / ITEMS_PER_PART`, from 1 to 4096 (TUF's hashed bins). */
export function defaultPartCount(items: number): number {
  let count = 1;
  while (count < 4096 && count * ITEMS_PER_PART < items) count *= 2;
  return count;
}

/**
 * The part an id belongs to: the top bits of a hash of kind and id, as TUF's hashed bins place
 * targets by the hash of their name. It depends on the id alone, so a change to one track or
 * playlist rewrites one part (as long as the part count stays the same: pin `partCount` for a
 * library that grows). Only the server computes it — devices check parts by their SHA-256 —
 * so it is FNV-1a (32 bits), ~50 times cheaper than a SHA-256 per id.
 */
export function partIndexOf(kind: 't' | 'p', id: string, partCount: number): number {
  if (partCount <= 1) return 0;
  let hash = kind === 't' ? 0x811c9dc5 : 0x050c5d1f;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  // FNV's low bits mix poorly for short keys: fold the high half in before taking the top bits.
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash ^= hash >>> 13;
  return (hash >>> 0) >>> (32 - Math.log2(partCount));
}

/**
 * Shards tracks and playlists into `partCount` parts (a power of two) by a hash of their ids,
 * each part sorted by id so that its bytes do not depend on the order of the input. Empty
 * parts are dropped.
 */
export function shardCatalog(tracks: readonly ManifestTrackV2[], playlists: readonly ManifestPlaylist[], partCount = defaultPartCount(tracks.length + playlists.length)): PartContent[] {
  if (!Number.isInteger(partCount) || partCount < 1 || (partCount & (partCount - 1)) !== 0) {
    throw new RepriseError('invalid-argument', `partCount ${partCount} must be a power of two ≥ 1`, { path: 'partCount' });
  }
  const parts: PartContent[] = Array.from({ length: partCount }, () => ({ tracks: [], playlists: [] }));
  for (const t of tracks) parts[partIndexOf('t', t.id, partCount)]!.tracks.push(t);
  for (const p of playlists) parts[partIndexOf('p', p.id, partCount)]!.playlists.push(p);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return parts.filter((p) => p.tracks.length || p.playlists.length).map((p) => ({ tracks: p.tracks.sort(byId), playlists: p.playlists.sort(byId) }));
}
