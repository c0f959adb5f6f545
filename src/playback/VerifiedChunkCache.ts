/**
 * Chunks that already verified against their digest, kept in memory so that a seek back into
 * them is served without reading and hashing them again (issue 18, "seek cost"). Keyed by
 * digest, so a chunk is the same bytes whatever track or manifest names it; bounded in bytes,
 * least recently used out first.
 */
export class VerifiedChunkCache {
  private readonly chunks = new Map<string, ArrayBuffer>();
  private held = 0;

  /** @param maxBytes the most it holds (default 4 MiB: 16 chunks of 256 KiB). */
  constructor(readonly maxBytes = 4 * 1024 * 1024) {}

  /** The chunk's bytes if held; marks it most recently used. */
  get(digest: string): ArrayBuffer | undefined {
    const bytes = this.chunks.get(digest);
    if (bytes) {
      this.chunks.delete(digest);
      this.chunks.set(digest, bytes);
    }
    return bytes;
  }

  /** Holds a chunk that verified against `digest`; one larger than the bound is not held. */
  put(digest: string, bytes: ArrayBuffer): void {
    if (bytes.byteLength > this.maxBytes) return;
    const old = this.chunks.get(digest);
    if (old) {
      this.chunks.delete(digest);
      this.held -= old.byteLength;
    }
    this.chunks.set(digest, bytes);
    this.held += bytes.byteLength;
    for (const [oldest, value] of this.chunks) {
      if (this.held <= this.maxBytes) break;
      this.chunks.delete(oldest);
      this.held -= value.byteLength;
    }
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  clear(): void {
    this.chunks.clear();
    this.held = 0;
  }
}
