import type { ChunkBuffers } from './ChunkBuffers.js';

/** A chunk whose every byte arrived, ready to be hashed. */
export interface AssembledChunk {
  index: number;
  bytes: ArrayBuffer;
}

/**
 * Puts a track's wanted chunks together from body bytes at their positions in the file, whatever
 * request they came in: a request may cover part of a chunk, and the two requests a download
 * keeps open may deliver their parts in either order. A chunk is handed out once, when its last
 * byte arrived; the bytes of chunks no longer wanted are skipped.
 */
export class ChunkAssembler {
  private readonly partial = new Map<number, { bytes: Uint8Array<ArrayBuffer>; filled: number }>();

  constructor(
    private readonly size: number,
    private readonly chunkSize: number,
    /** Chunks still wanted; an index leaves it when its chunk is handed out. */
    readonly wanted: Set<number>,
    private readonly buffers?: ChunkBuffers,
  ) {}

  /** Bytes `value` start at byte `pos` of the file; returns the chunks they completed. */
  write(pos: number, value: Uint8Array): AssembledChunk[] {
    const done: AssembledChunk[] = [];
    for (let offset = 0; offset < value.byteLength; ) {
      const at = pos + offset;
      const index = Math.floor(at / this.chunkSize);
      const chunkStart = index * this.chunkSize;
      const chunkEnd = Math.min(this.size, chunkStart + this.chunkSize);
      const take = Math.min(value.byteLength - offset, chunkEnd - at);
      if (this.wanted.has(index)) {
        let entry = this.partial.get(index);
        if (!entry) this.partial.set(index, (entry = { bytes: this.buffers?.take(chunkEnd - chunkStart) ?? new Uint8Array(chunkEnd - chunkStart), filled: 0 }));
        entry.bytes.set(value.subarray(offset, offset + take), at - chunkStart);
        entry.filled += take;
        if (entry.filled >= chunkEnd - chunkStart) {
          this.partial.delete(index);
          this.wanted.delete(index);
          done.push({ index, bytes: entry.bytes.buffer });
        }
      }
      offset += take;
    }
    return done;
  }

  /** Gives back the buffers of chunks that never completed (the attempt ended). */
  release(): void {
    this.buffers?.give([...this.partial.values()].map((p) => p.bytes.buffer));
    this.partial.clear();
  }
}
