import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestTrack } from '../manifest/types.js';
import { sha256Base64Url } from '../util/sha256.js';
import type { VerifiedChunkCache } from './VerifiedChunkCache.js';

/** Chunks read per IndexedDB transaction while serving (the write side batches 16 too). */
export const READ_BATCH = 8;

export interface ChunkReader {
  getChunks(digests: readonly string[]): Promise<(ArrayBuffer | undefined)[]>;
}

/**
 * Yields the bytes `[start, end]` (inclusive) of a track, reading only the chunks the range
 * touches, each once, and checking each against the manifest digest before any of its bytes
 * are yielded (security rule 5). The first chunk is read alone so its bytes leave as soon as
 * they verify; later ones in batches of READ_BATCH. A chunk held in `verified` is served from
 * there without reading or hashing it again; a chunk that verifies is put there.
 * A missing chunk waits for `onMissing` (play while missing) or throws `not-cached`; a chunk that fails throws `integrity-mismatch` after
 * `onCorrupt` (which holds it back and queues a re-fetch).
 */
export async function* readVerified(
  reader: ChunkReader,
  track: Pick<ManifestTrack, 'id' | 'size' | 'chunkSize' | 'chunks'>,
  start = 0,
  end = track.size - 1,
  onCorrupt?: (index: number, digest: string) => void | Promise<void>,
  verified?: VerifiedChunkCache,
  /** Resolves once the chunk is stored, or with its bytes when the caller already checked them against the digest. */
  onMissing?: (index: number, digest: string) => Promise<ArrayBuffer | void>,
): AsyncGenerator<Uint8Array> {
  const first = Math.floor(start / track.chunkSize);
  const last = Math.floor(end / track.chunkSize);
  for (let batchStart = first; batchStart <= last; ) {
    const batchEnd = Math.min(last, batchStart === first ? first : batchStart + READ_BATCH - 1);
    const indices: number[] = [];
    for (let i = batchStart; i <= batchEnd; i++) indices.push(i);
    batchStart = batchEnd + 1;
    const digests = indices.map((i) => track.chunks[i]!);
    const held = digests.map((d) => verified?.get(d));
    const toRead = digests.filter((_d, k) => !held[k]);
    const read = toRead.length ? await reader.getChunks(toRead) : [];
    // Bytes the verified cache holds (a chunk the engine handed over, checked as it arrived) are not hashed again.
    const hashes = await Promise.all(read.map((v, j) => (!v ? undefined : v === verified?.get(toRead[j]!) ? toRead[j] : sha256Base64Url(v))));
    let r = 0;
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k]!;
      let bytes = held[k];
      if (!bytes) {
        bytes = read[r];
        let hash = hashes[r++];
        const corrupt = () =>
          new RepriseError('integrity-mismatch', `track "${track.id}" chunk ${index} no longer matches its digest; it is held back and will be fetched again`, {
            trackId: track.id,
            chunkIndex: index,
          });
        if (bytes && hash !== digests[k]) {
          await onCorrupt?.(index, digests[k]!);
          if (!onMissing) throw corrupt();
          bytes = undefined; // held back: fetched again, like a missing one
        }
        if (!bytes && onMissing) {
          // Play while missing: the engine fetches it first; it is read once it is stored, or taken
          // as the caller hands it over (checked against the digest by the caller).
          bytes = (await onMissing(index, digests[k]!)) ?? undefined;
          if (!bytes) {
            [bytes] = await reader.getChunks([digests[k]!]);
            hash = bytes ? await sha256Base64Url(bytes) : undefined;
            if (bytes && hash !== digests[k]) throw corrupt();
          }
        }
        if (!bytes) throw new RepriseError('not-cached', `track "${track.id}" chunk ${index} is not on the device`, { trackId: track.id, chunkIndex: index });
        verified?.put(digests[k]!, bytes);
      }
      const chunkStart = index * track.chunkSize;
      const from = Math.max(start, chunkStart) - chunkStart;
      const to = Math.min(end + 1, chunkStart + bytes.byteLength) - chunkStart;
      // Bytes held in `verified` leave as a copy: whoever consumes them may transfer the buffer.
      yield verified ? new Uint8Array(bytes.slice(from, to)) : new Uint8Array(bytes, from, to - from);
    }
  }
}
