import type { Clock } from '../util/clock.js';
import { sha256Base64Url } from '../util/sha256.js';
import type { ChunkBuffers } from './ChunkBuffers.js';

export interface VerifiedChunk {
  index: number;
  digest: string;
  bytes: ArrayBuffer;
  /** The value its write stores, made as it verified (see `prepare`). */
  value?: Blob;
}

/**
 * Batching from the measurements in the brief: Chromium's IndexedDB puts ~300 MB/s with 16
 * chunks a transaction and ~130 MB/s with one. A byte cap keeps big chunk sizes (8 MiB) from
 * holding 128 MiB in memory.
 */
export const BATCH_CHUNKS = 16;
export const BATCH_BYTES = 4 * 1024 * 1024;
/** Chunks hashed but not yet committed, at most: beyond this the reader waits (backpressure). */
const MAX_PENDING_BYTES = 2 * BATCH_BYTES;
/**
 * A batch is also committed when its first chunk has waited this long: on a slow link a full
 * batch can take a minute, and a tab closed meanwhile should lose at most this much of it.
 */
export const BATCH_MAX_AGE_MS = 200;

export interface ChunkSinkOptions {
  /** Where buffers go once nothing needs them: after their write committed, or a failed check. */
  buffers?: ChunkBuffers;
  /** How long a batch may wait for more chunks; 0 commits each chunk as it verifies (a track being played). */
  maxAgeMs?: () => number;
  /** Makes the stored value of a chunk as it verifies (one at a time, not a batch's worth in its write). */
  prepare?: (bytes: ArrayBuffer) => Blob | undefined;
  /**
   * Each chunk as it verifies, before it waits for its batch and the write before it (a reader
   * waiting for it takes it now). Its bytes stay valid only during the call.
   */
  onVerified?: (chunk: VerifiedChunk) => void;
}

/**
 * Where a download's chunks go: each is hashed as soon as it is complete (WebCrypto runs off
 * the reading thread), compared with the manifest digest, and only then queued for a write;
 * writes are batched and one batch is committed while the next is being read (pipelining).
 * A chunk that does not match is dropped and its index recorded.
 */
export class ChunkSink {
  readonly mismatched: number[] = [];
  readonly committed: number[] = [];
  /** Verified chunks a failed write did not store (a full quota stores part of a batch). */
  private readonly unstored: VerifiedChunk[] = [];
  private pending: { index: number; expected: string; bytes: ArrayBuffer; hash: Promise<string> }[] = [];
  private pendingBytes = 0;
  private batch: VerifiedChunk[] = [];
  private batchBytes = 0;
  /** Aborts the batch timer's sleep (on the injected clock). */
  private timer: AbortController | undefined;
  private flushing: Promise<void> | undefined;
  private draining: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  private readonly buffers: ChunkBuffers | undefined;
  private readonly maxAgeMs: () => number;
  /** Verified chunks not yet written (batched, or behind the write in flight), by digest. */
  private readonly unwritten = new Map<string, ArrayBuffer>();

  constructor(
    private readonly commit: (chunks: VerifiedChunk[]) => Promise<void>,
    private readonly clock: Clock,
    private readonly options: ChunkSinkOptions = {},
  ) {
    this.buffers = options.buffers;
    this.maxAgeMs = options.maxAgeMs ?? (() => BATCH_MAX_AGE_MS);
  }

  async add(index: number, expected: string, bytes: ArrayBuffer): Promise<void> {
    this.throwIfFailed();
    const hash = sha256Base64Url(bytes);
    hash.catch(() => {}); // awaited in order by the drain loop; avoid an unhandled rejection meanwhile
    this.pending.push({ index, expected, bytes, hash });
    this.pendingBytes += bytes.byteLength;
    this.kick();
    while (this.pendingBytes > MAX_PENDING_BYTES && this.draining) await this.draining;
    this.throwIfFailed();
  }

  /**
   * The bytes of a chunk this download verified and has not written yet (waiting for its batch or
   * for the write before it), else undefined. Valid until the caller's task ends: they are
   * copied by a `postMessage`, never kept.
   */
  held(digest: string): ArrayBuffer | undefined {
    return this.unwritten.get(digest);
  }

  /** Commits the waiting batch now rather than when it is full or old (its track is being played). */
  hurry(): void {
    if (this.timer) void this.flush().catch(() => {});
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Verifies and commits everything added so far. Throws the store's error (quota) if a write failed. */
  async finish(): Promise<void> {
    await this.draining;
    this.throwIfFailed();
    await this.flush();
    await this.flushing;
  }


  /**
   * After a failed write: every verified chunk not stored (refused by the write, batched behind
   * it, or still being hashed), handed over once; mismatches are left out.
   */
  async unstoredChunks(): Promise<VerifiedChunk[]> {
    await this.draining?.catch(() => {});
    await this.flushing?.catch(() => {});
    this.unwritten.clear(); // what was not written goes to the caller
    const out = this.unstored.splice(0);
    out.push(...this.batch.splice(0));
    this.batchBytes = 0;
    for (const item of this.pending.splice(0)) if ((await item.hash.catch(() => undefined)) === item.expected) out.push({ index: item.index, digest: item.expected, bytes: item.bytes });
    this.pendingBytes = 0;
    return out;
  }

  /** Verifies pending chunks in order, as their hashes complete, while the reader goes on. */
  private kick(): void {
    this.draining ??= (async () => {
      try {
        while (this.pending.length > 0) await this.processHead();
      } catch (error) {
        this.failure = { error };
      } finally {
        this.draining = undefined;
      }
    })();
  }

  private async processHead(): Promise<void> {
    const item = this.pending.shift()!;
    this.pendingBytes -= item.bytes.byteLength;
    const actual = await item.hash;
    if (actual !== item.expected) {
      this.mismatched.push(item.index);
      this.buffers?.give([item.bytes]);
      return;
    }
    this.unwritten.set(item.expected, item.bytes);
    this.options.onVerified?.({ index: item.index, digest: item.expected, bytes: item.bytes });
    const value = this.options.prepare?.(item.bytes);
    this.batch.push({ index: item.index, digest: item.expected, bytes: item.bytes, ...(value ? { value } : {}) });
    this.batchBytes += item.bytes.byteLength;
    const maxAge = this.maxAgeMs();
    if (this.batch.length >= BATCH_CHUNKS || this.batchBytes >= BATCH_BYTES || maxAge <= 0) await this.flush();
    else if (!this.timer) {
      const timer = (this.timer = new AbortController());
      this.clock.sleep(maxAge, timer.signal).then(
        () => void this.flush().catch(() => {}),
        () => {},
      );
    }
  }

  /**
   * Starts committing the current batch after the write before it (one transaction at a time, in
   * order) and returns that previous write: a caller that awaits it has at most one batch
   * queued behind the one in flight.
   */
  private flush(): Promise<void> {
    this.timer?.abort();
    this.timer = undefined;
    const previous = this.flushing ?? Promise.resolve();
    if (this.batch.length === 0) return previous;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.flushing = previous
      .then(() => this.commit(batch))
      .finally(() => {
        for (const c of batch) this.unwritten.delete(c.digest);
      })
      .then(
        () => {
          for (const c of batch) this.committed.push(c.index);
          // Committed: IndexedDB cloned the bytes inside put(), so the buffers can hold new chunks.
          this.buffers?.give(batch.map((c) => c.bytes));
        },
        (error: unknown) => {
          // This write (or one before it) failed: what it did store is listed in the error.
          const stored = new Set(((error as { details?: { committed?: unknown } })?.details?.committed as string[] | undefined) ?? []);
          for (const c of batch) {
            if (stored.has(c.digest)) this.committed.push(c.index);
            else this.unstored.push(c);
          }
          throw error;
        },
      );
    this.flushing.catch(() => {});
    return previous;
  }
}
