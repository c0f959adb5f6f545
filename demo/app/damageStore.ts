import { openDB } from 'idb';
import type { CacheStatus } from '../../src/client/index.js';
import type { CatalogTrack } from './catalogInfo.js';

/** What a simulation did to the device store, counted as the sync report counts: distinct chunks of offline content. */
export interface Damage {
  corrupted: { trackId: string; index: number; digest: string }[];
  deleted: { trackId: string; chunks: number }[];
  /** Distinct chunks that the deleted tracks held. */
  missingChunks: number;
}

/**
 * What a failing disk does to the real device store (IndexedDB `reprise`, chunks keyed by their
 * digest): flips a byte in `corrupt` distinct chunks of complete offline tracks, and deletes every
 * chunk of `remove` other complete offline tracks. Only chunks that are stored and belong to
 * offline content are touched, so the sync report must count exactly these.
 */
export async function damageStore(status: CacheStatus, tracks: Map<string, CatalogTrack>, corrupt: number, remove: number): Promise<Damage> {
  const offline = new Set(status.playlists.filter((p) => p.offline).flatMap((p) => p.trackIds));
  const complete = status.tracks.filter((t) => t.state === 'complete' && offline.has(t.id)).map((t) => tracks.get(t.id)!).filter(Boolean);
  const doomed = complete.slice(Math.max(0, complete.length - remove));
  const rest = complete.slice(0, complete.length - doomed.length);
  const doomedDigests = new Set(doomed.flatMap((t) => t.chunks));

  const db = await openDB('reprise');
  try {
    const stored = new Set((await db.getAllKeys('chunks')) as string[]);
    // Spread the corruption over the remaining tracks: chunk 1 of each, then chunk 2 of each, …
    const corrupted: Damage['corrupted'] = [];
    const seen = new Set<string>();
    for (let index = 1; corrupted.length < corrupt && rest.some((t) => index < t.chunks.length); index += 3) {
      for (const t of rest) {
        const digest = t.chunks[index];
        if (corrupted.length >= corrupt || !digest || seen.has(digest) || doomedDigests.has(digest) || !stored.has(digest)) continue;
        seen.add(digest);
        corrupted.push({ trackId: t.id, index, digest });
      }
    }
    // A stored value is a Blob (browsers) or an ArrayBuffer (stores written before): its bytes are
    // read before the write transaction, which must not wait on anything but IndexedDB.
    const damaged = new Map<string, ArrayBuffer>();
    for (const c of corrupted) {
      const record = (await db.get('chunks', c.digest)) as { bytes: ArrayBuffer | Blob };
      const bytes = new Uint8Array(record.bytes instanceof Blob ? await record.bytes.arrayBuffer() : record.bytes.slice(0));
      bytes[bytes.length >> 1]! ^= 0xff;
      damaged.set(c.digest, bytes.buffer);
    }
    const tx = db.transaction('chunks', 'readwrite');
    for (const [digest, bytes] of damaged) await tx.store.put({ bytes }, digest);
    const missing = [...doomedDigests].filter((d) => stored.has(d));
    for (const d of missing) await tx.store.delete(d);
    await tx.done;
    return { corrupted, deleted: doomed.map((t) => ({ trackId: t.id, chunks: t.chunks.length })), missingChunks: missing.length };
  } finally {
    db.close();
  }
}
