import { abortError } from '../errors/RepriseError.js';
import type { Clock } from '../util/clock.js';

/**
 * Longest single sleep while waiting for tokens. A rate change (setThrottle) is therefore seen
 * by every waiting request within this time — the issue asks for "within a second".
 */
const MAX_WAIT_SLICE_MS = 250;

interface Waiter {
  bytes: number;
  /** Read when tokens are granted: a replan may change a waiting request's priority. */
  priority: () => number;
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A token bucket over body bytes, shared by every request of one engine. Tokens refill at
 * `rate` bytes/s up to `capacity` (one chunk: DESIGN.md, "no burst exceeds one chunk"). A
 * request that just read `n` bytes takes `n` tokens; while the bucket is in debt it waits, so
 * the reader stops reading and TCP flow control slows the sender.
 *
 * Waiters are served by priority (lower first), then in arrival order: when the cap binds, the
 * track the user wants first gets the bandwidth, and the others get what it leaves.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private waiters: Waiter[] = [];
  private seq = 0;
  private pumping = false;

  constructor(
    private readonly clock: Clock,
    private rate: number,
    private capacity: number,
  ) {
    // Starts empty: a cap is a promise about the first seconds too, and the bucket refills to
    // one chunk within chunk/rate seconds anyway.
    this.tokens = 0;
    this.last = clock.now();
  }

  /** Bytes per second; Infinity for no cap. */
  get bytesPerSecond(): number {
    return this.rate;
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
  }

  setCapacity(capacity: number): void {
    this.refill();
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  /** Waits until `bytes` may be counted against the cap. `priority`: lower is served first. */
  take(bytes: number, signal?: AbortSignal, priority: () => number = () => 0): Promise<void> {
    if (!Number.isFinite(this.rate)) return Promise.resolve();
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 0) {
      this.tokens -= bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const waiter: Waiter = { bytes, priority, seq: this.seq++, resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(abortError(signal));
        },
        { once: true },
      );
      void this.pump();
    });
  }

  /** One loop serves every waiter: sleep until the debt is repaid, grant the most urgent. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        this.refill();
        if (!Number.isFinite(this.rate) || this.tokens >= 0) {
          this.waiters.sort((a, b) => a.priority() - b.priority() || a.seq - b.seq);
          const next = this.waiters.shift()!;
          if (Number.isFinite(this.rate)) this.tokens -= next.bytes;
          next.resolve();
          continue;
        }
        const waitMs = Math.min(MAX_WAIT_SLICE_MS, (-this.tokens / this.rate) * 1000);
        await this.clock.sleep(Math.max(1, waitMs));
      }
    } finally {
      this.pumping = false;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    if (!Number.isFinite(this.rate)) {
      this.tokens = this.capacity;
      return;
    }
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.rate);
  }
}
