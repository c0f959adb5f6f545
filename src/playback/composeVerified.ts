import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestTrack } from '../manifest/types.js';
import { chunkBytes } from '../store/Store.js';
import { toBase64Url } from '../util/base64url.js';
import { READ_BATCH } from './readVerified.js';
import { settledWithin } from '../util/settledWithin.js';

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
  /** How long one stored chunk's read may take before it counts as stalled (tests shorten it). */
  readStallMs = READ_STALL_MS,
): Promise<Blob> {
  const parts: (ArrayBuffer | Blob)[] = [];
  const hasher = new ChunkHasher(track.chunkSize, readStallMs);
  for (let first = 0; first < track.chunks.length; first += READ_BATCH) {
    const digests = track.chunks.slice(first, first + READ_BATCH);
    const values = await reader.getChunkValues(digests);
    const hashes: Promise<string>[] = [];
    for (let k = 0; k < digests.length; k++) {
      const value = values[k];
      if (value === undefined) throw new RepriseError('not-cached', `track "${track.id}" chunk ${first + k} is not on the device`, { trackId: track.id, chunkIndex: first + k });
      hashes.push((await hasher.start(value)).hash);
    }
    const actual = await Promise.all(hashes);
    for (let k = 0; k < digests.length; k++) {
      if (actual[k] !== digests[k]) {
        await onCorrupt?.(first + k, digests[k]!);
        throw new RepriseError(
          'integrity-mismatch',
          `track "${track.id}" chunk ${first + k} stored on the device no longer matches its digest (the storage changed it)`,
          { trackId: track.id, chunkIndex: first + k },
          { hint: onCorrupt ? 'it was deleted and moved to the front of the download queue: wait for its track-complete event and call getTrack() again.' : null },
        );
      }
      parts.push(values[k]!);
    }
  }
  return new Blob(parts, { type: track.mimeType });
}

/**
 * Hashes stored values without leaving their bytes behind. Reading a Blob with `arrayBuffer()`
 * makes a new buffer per chunk that the renderer keeps (measured in Chromium: a 100 MB track read
 * this way grew it by 105–112 MB, each buffer detached once hashed). Where a Blob's stream can be
 * read into a buffer of ours (BYOB: Chromium, Firefox), every chunk is read into the same one
 * (WebCrypto copies its input when `digest()` is called); elsewhere (WebKit) each buffer is
 * detached once hashed.
 */
class ChunkHasher {
  private scratch: ArrayBuffer | undefined;
  private byob = typeof ReadableStreamBYOBReader === 'function';
  /** Stream reads of this track that never settled (Chromium, now and then). */
  private stalls = 0;

  constructor(
    private readonly chunkSize: number,
    private readonly stallMs: number,
  ) {}

  /** Reads `value` and starts its digest; resolves once its bytes may be reused (the digest may still run). */
  async start(value: ArrayBuffer | Blob): Promise<{ hash: Promise<string> }> {
    if (value instanceof ArrayBuffer) return { hash: digest(value) };
    if (this.byob) {
      try {
        const view = await settledWithin(this.readInto(value), this.stallMs);
        if (view) return { hash: digest(view) };
        // Chromium now and then never settles a read of a stored Blob's stream: this chunk is read
        // another way, and the next ones by their streams again (a new scratch buffer: the stalled
        // read holds the old one) — unless it was the second stall of this track, then all of them.
        this.scratch = undefined;
        if (++this.stalls >= MAX_STREAM_STALLS) this.byob = false;
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        this.byob = false; // this engine's Blob streams are not byte streams
      }
    }
    // The other way gets longer (a busy device is not a stall): only a read that never settles fails.
    const waitMs = this.stallMs * FALLBACK_WAIT_FACTOR;
    const bytes = await settledWithin(chunkBytes(value), waitMs);
    if (!bytes) throw new RepriseError('storage-failed', `the browser did not return a stored chunk's bytes within ${waitMs / 1000} s (a read of its storage that never settled); try again`);
    const hash = digest(bytes);
    hash.finally(() => (bytes as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0)).catch(() => {});
    return { hash };
  }

  private async readInto(blob: Blob): Promise<Uint8Array<ArrayBuffer>> {
    let buffer = this.scratch && this.scratch.byteLength >= blob.size ? this.scratch : new ArrayBuffer(Math.max(blob.size, this.chunkSize));
    this.scratch = undefined; // transferred by the reads below; ours again at the end
    const reader = (blob.stream() as ReadableStream<Uint8Array<ArrayBuffer>>).getReader({ mode: 'byob' });
    let filled = 0;
    try {
      while (filled < blob.size) {
        const { value, done } = await reader.read(new Uint8Array(buffer, filled, blob.size - filled));
        if (value) buffer = value.buffer as ArrayBuffer;
        if (done || !value) break;
        filled += value.byteLength;
      }
    } finally {
      reader.releaseLock();
    }
    this.scratch = buffer;
    return new Uint8Array(buffer, 0, filled);
  }
}

/**
 * How long one stored chunk's read may take before it counts as stalled (a 256 KiB read takes
 * milliseconds; a stall costs the listener this long before the first audio).
 */
const READ_STALL_MS = 2_000;
/** How many times {@link READ_STALL_MS} the read that replaces a stalled one may take. */
const FALLBACK_WAIT_FACTOR = 5;
/** Stream reads of one track that may stall before the rest of its chunks are read with `arrayBuffer()`. */
const MAX_STREAM_STALLS = 2;

/** SHA-256 as base64url; WebCrypto takes a copy of `bytes` before this returns. */
function digest(bytes: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  return crypto.subtle.digest('SHA-256', bytes).then((d) => toBase64Url(new Uint8Array(d)));
}
