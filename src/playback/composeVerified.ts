import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestTrack } from '../manifest/types.js';
import { chunkBytes } from '../store/Store.js';
import { sha256Base64Url } from '../util/sha256.js';
import { READ_BATCH } from './readVerified.js';

/** Bytes hashed at once while composing: bounds the memory a track of large chunks needs. */
export const COMPOSE_BATCH_BYTES = 4 * 1024 * 1024;

export interface ChunkValueReader {
  /** The stored values as they are: Blobs (file-backed in browsers) or ArrayBuffers (stores written before). */
  getChunkValues(digests: readonly string[]): Promise<(ArrayBuffer | Blob | undefined)[]>;
}

/**
 * The whole track as one Blob composed of its stored chunk values (`getTrack()` without a service
 * worker). Each chunk is read, checked against the manifest digest and its bytes dropped; the
 * Blob that leaves refers to the stored values themselves, so in a browser it is backed by
 * IndexedDB's files and an object URL of it plays and seeks without the track ever being in
 * memory. A missing chunk throws `not-cached`; one that fails its digest throws
 * `integrity-mismatch` after `onCorrupt` (which holds it back and queues a re-fetch). Nothing is
 * returned unless every chunk verified (security rule 5).
 */
export async function composeVerified(
  reader: ChunkValueReader,
  track: Pick<ManifestTrack, 'id' | 'size' | 'chunkSize' | 'chunks' | 'mimeType'>,
  onCorrupt?: (index: number, digest: string) => void | Promise<void>,
): Promise<Blob> {
  const parts: (ArrayBuffer | Blob)[] = [];
  const perBatch = Math.max(1, Math.min(READ_BATCH, Math.floor(COMPOSE_BATCH_BYTES / track.chunkSize)));
  for (let first = 0; first < track.chunks.length; first += perBatch) {
    const digests = track.chunks.slice(first, first + perBatch);
    const values = await reader.getChunkValues(digests);
    const hashes = await Promise.all(values.map((v) => (v === undefined ? undefined : hashValue(v))));
    for (let k = 0; k < digests.length; k++) {
      const index = first + k;
      const value = values[k];
      if (value === undefined) throw new RepriseError('not-cached', `track "${track.id}" chunk ${index} is not on the device`, { trackId: track.id, chunkIndex: index });
      if (hashes[k] !== digests[k]) {
        await onCorrupt?.(index, digests[k]!);
        throw new RepriseError('integrity-mismatch', `track "${track.id}" chunk ${index} no longer matches its digest; it is held back and will be fetched again`, {
          trackId: track.id,
          chunkIndex: index,
        });
      }
      parts.push(value);
    }
  }
  return new Blob(parts, { type: track.mimeType });
}

/**
 * The digest of a stored value. The bytes of a Blob were read for this alone: they are released
 * at once (a detached buffer frees its memory now, not at the next collection; JavaScriptCore
 * otherwise lets ~50 MB of them pile up while a large track is checked).
 */
async function hashValue(value: ArrayBuffer | Blob): Promise<string> {
  const bytes = await chunkBytes(value);
  try {
    return await sha256Base64Url(bytes);
  } finally {
    if (bytes !== value) release(bytes);
  }
}

function release(buffer: ArrayBuffer): void {
  (buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
}
