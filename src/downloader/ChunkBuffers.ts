/**
 * Reuses the buffers chunks are assembled in. A verified chunk is copied by IndexedDB when it is
 * put (the structured clone happens inside `put()`), and by WebCrypto when it is hashed, so once
 * its write is committed (or it failed verification) its buffer can hold the next chunk.
 *
 * Why: a fresh buffer per chunk is zeroed memory the system must map and the garbage collector
 * must account for, on every chunk of every track (figures in docs/decisions.md).
 *
 * Only power-of-two sizes are kept — the manifest's chunk sizes; a track's shorter last chunk
 * would rarely fit another — and at most `maxBytes` of them (2 MiB: eight 256 KiB chunks). The
 * scheduler empties it whenever nothing downloads: an idle worker holds none of them.
 */
export class ChunkBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** What is in the pool now: a buffer handed back twice must not be handed out twice. */
  private readonly pooled = new Set<ArrayBuffer>();
  private pooledBytes = 0;

  constructor(private readonly maxBytes = 2 * 1024 * 1024) {}

  /** A buffer of exactly `size` bytes; its content is whatever it held before (callers fill it). */
  take(size: number): Uint8Array<ArrayBuffer> {
    const list = this.free.get(size);
    const buffer = list?.pop();
    if (!buffer) return new Uint8Array(size);
    this.pooled.delete(buffer);
    this.pooledBytes -= size;
    return new Uint8Array(buffer);
  }

  /** Hands back buffers nothing else refers to any more. */
  give(buffers: Iterable<ArrayBuffer>): void {
    for (const buffer of buffers) {
      const size = buffer.byteLength;
      if (!isPowerOfTwo(size) || this.pooled.has(buffer) || this.pooledBytes + size > this.maxBytes) continue;
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buffer);
      this.pooled.add(buffer);
      this.pooledBytes += size;
    }
  }

  /** Drops every pooled buffer (the scheduler closed). */
  clear(): void {
    this.free.clear();
    this.pooled.clear();
    this.pooledBytes = 0;
  }
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
