import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestTrack } from '../manifest/schema.js';
import { sha256Base64Url } from '../util/sha256.js';

/** Chunks read per IndexedDB transaction while serving (the write side batches 16 too). */
export const READ_BATCH = 8;

export interface ChunkReader {
  getChunks(digests: readonly string[]): Promise<(ArrayBuffer | undefined)[]>;
}

/**
 * Yields the bytes `[start, end]` (inclusive) of a track, reading only the chunks the range
 * touches and checking each against the manifest digest before any of its bytes are yielded
 * (security rule 5). A missing chunk throws `not-cached`; a chunk that fails throws
 * `integrity-mismatch` after `onCorrupt` (which holds it back and queues a re-fetch).
 */
export async function* readVerified(
  reader: ChunkReader,
  track: Pick<ManifestTrack, 'id' | 'size' | 'chunkSize' | 'chunks'>,
  start = 0,
  end = track.size - 1,
  onCorrupt?: (index: number, digest: string) => void | Promise<void>,
): AsyncGenerator<Uint8Array> {
  const first = Math.floor(start / track.chunkSize);
  const last = Math.floor(end / track.chunkSize);
  for (let batchStart = first; batchStart <= last; batchStart += READ_BATCH) {
    const indices: number[] = [];
    for (let i = batchStart; i <= Math.min(last, batchStart + READ_BATCH - 1); i++) indices.push(i);
    const digests = indices.map((i) => track.chunks[i]!);
    const values = await reader.getChunks(digests);
    const hashes = await Promise.all(values.map((v) => (v ? sha256Base64Url(v) : Promise.resolve(undefined))));
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k]!;
      const bytes = values[k];
      if (!bytes) throw new RepriseError('not-cached', `track "${track.id}" chunk ${index} is not on the device`, { trackId: track.id, chunkIndex: index });
      if (hashes[k] !== digests[k]) {
        await onCorrupt?.(index, digests[k]!);
        throw new RepriseError('integrity-mismatch', `track "${track.id}" chunk ${index} no longer matches its digest; it is held back and will be fetched again`, {
          trackId: track.id,
          chunkIndex: index,
        });
      }
      const chunkStart = index * track.chunkSize;
      const from = Math.max(start, chunkStart) - chunkStart;
      const to = Math.min(end + 1, chunkStart + bytes.byteLength) - chunkStart;
      yield new Uint8Array(bytes, from, to - from);
    }
  }
}
