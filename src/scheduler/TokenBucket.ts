import { abortError } from '../errors/RepriseError.js';
import type { Clock } from '../util/clock.js';
import { RESTART_AFTER_MS, START_JITTER_MS } from './requestSize.js';

/** Longest single sleep while waiting for tokens (a safety net: rate changes wake the loop at once). */
const MAX_WAIT_SLICE_MS = 250;

interface Waiter {
  bytes: number;
  /** Read when tokens are granted: a replan may change a waiting request's priority. */
  priority: () => number;
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Removes the abort listener once the waiter is settled. */
  detach: () => void;
}

/**
 * A token bucket over body bytes, shared by every request of one engine. Tokens refill at
 * `rate` bytes/s up to `capacity` (one chunk); a capped bucket starts {@link START_JITTER_MS}
 * of the rate short of full, empty at high rates, and starts so again after
 * {@link RESTART_AFTER_MS} without a take (docs/decisions.md "Throttling and priority"): the first
 * requests of a sync or a resume also wait for their connections and reach the origin bunched,
 * and a bucket that started full left that no margin. `take(n)` waits until the bucket
 * holds `min(n, capacity)` tokens, then takes `n`: bytes are paid for before they are asked of
 * the origin, so over any interval T at most `rate × T + capacity` bytes are paid for (docs/how-it-works.md
 * "Throttled resync": the cap is a promise about the wire).
 *
 * Waiters are served by priority (lower first), then in arrival order: when the cap binds, the
 * track the user wants first gets the bandwidth, and the others get what it leaves.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** When a take was last granted (or the bucket made). */
  private lastGrant: number;
  private waiters: Waiter[] = [];
  private seq = 0;
  private pumping = false;
  /** Aborted to cut the pump's sleep short when the rate or the waiters change. */
  private wake = new AbortController();

  constructor(
    private readonly clock: Clock,
    private rate: number,
    private capacity: number,
  ) {
    this.tokens = capacity;
    this.last = this.lastGrant = clock.now();
    this.startLevel();
  }

  /**
   * Capped: no more than START_JITTER_MS of the rate short of full, so that the first request
   * waits at most that long for its tokens. Unlimited: the tokens are unused.
   */
  private startLevel(): void {
    if (Number.isFinite(this.rate)) this.tokens = Math.min(this.tokens, Math.max(0, this.capacity - (this.rate * START_JITTER_MS) / 1000));
  }

  /** Bytes per second; Infinity for no cap. */
  get bytesPerSecond(): number {
    return this.rate;
  }

  /** Bytes that may be asked for at once: what the bucket holds when full. */
  get burst(): number {
    return this.capacity;
  }

  /** Waiting `take()`s (for tests and status). */
  get waiting(): number {
    return this.waiters.length;
  }

  setRate(rate: number): void {
    this.refill();
    // A lower rate (or a cap where there was none) starts empty: requests paid at the old rate
    // may still be on their way, and the one chunk the bucket would hold covers them.
    if (rate < this.rate) this.tokens = 0;
    this.rate = rate;
    // A full bucket never holds more than one chunk, whatever the rate was before.
    this.tokens = Math.min(this.tokens, this.capacity);
    this.wake.abort();
  }

  setCapacity(capacity: number): void {
    this.refill();
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
    this.wake.abort();
  }

  /** Waits until `bytes` may be asked for. `priority`: lower is served first. */
  take(bytes: number, signal?: AbortSignal, priority: () => number = () => 0): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!Number.isFinite(this.rate)) return Promise.resolve();
    this.refill();
    // Nothing asked for a while (a new sync, a resume): its requests start as the first ones did.
    if (this.waiters.length === 0 && this.clock.now() - this.lastGrant >= RESTART_AFTER_MS) this.startLevel();
    if (this.waiters.length === 0 && this.affords(bytes)) {
      this.tokens -= bytes;
      this.lastGrant = this.clock.now();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = { bytes, priority, seq: this.seq++, resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.pump();
    });
  }

  private affords(bytes: number): boolean {
    return this.tokens >= Math.min(bytes, this.capacity);
  }

  /** One loop serves every waiter: sleep until the most urgent can be paid, grant it. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        this.refill();
        this.waiters.sort((a, b) => a.priority() - b.priority() || a.seq - b.seq);
        const next = this.waiters[0]!;
        if (!Number.isFinite(this.rate) || this.affords(next.bytes)) {
          this.waiters.shift();
          if (Number.isFinite(this.rate)) this.tokens -= next.bytes;
          this.lastGrant = this.clock.now();
          next.detach();
          next.resolve();
          continue;
        }
        const short = Math.min(next.bytes, this.capacity) - this.tokens;
        const waitMs = Math.min(MAX_WAIT_SLICE_MS, (short / this.rate) * 1000);
        if (this.wake.signal.aborted) this.wake = new AbortController();
        await this.clock.sleep(Math.max(1, Math.ceil(waitMs)), this.wake.signal).catch(() => {});
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
