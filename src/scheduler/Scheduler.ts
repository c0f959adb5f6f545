import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { ChunkBuffers } from '../downloader/ChunkBuffers.js';
import type { VerifiedChunk } from '../downloader/ChunkSink.js';
import { type DownloadRequest, downloadTrack, isTransient } from '../downloader/downloadTrack.js';
import type { Clock } from '../util/clock.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { TokenBucket } from './TokenBucket.js';

/** Why the queue is paused, in the order `state` reports them when several apply. */
export const PAUSE_REASONS = ['user', 'offline', 'save-data', 'quota-exceeded'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];
export type WaitReason = 'reset-window' | 'retry-after' | 'backoff';

export type SchedulerState =
  | { state: 'idle' }
  | { state: 'downloading' }
  | { state: 'waiting'; reason: WaitReason; until: number }
  | { state: 'paused'; reason: PauseReason };

export interface SchedulerJob {
  trackId: string;
  /** The origin its requests go to (Retry-After pauses a whole origin). */
  origin: string;
  /** A request for what is missing now, or undefined when the track is complete. */
  request(): DownloadRequest | undefined;
  /** Bytes still to fetch (for the storage budget). */
  remainingBytes(): number;
  /** False while the job must not start yet (its stored chunks are being audited). Default true. */
  ready?(): boolean;
}

export interface ThrottleSettings {
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** Body bytes per second over all requests; Infinity for no cap. */
  bytesPerSecond: number;
}

export interface SchedulerHooks {
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  credentials?: RequestCredentials;
  stallMs: number;
  backoff: BackoffOptions;
  /** Largest chunk size in the plan: the token bucket's capacity (no burst above one chunk). */
  chunkSize: number;
  commit(trackId: string, chunks: VerifiedChunk[]): Promise<void>;
  /** `downloaded` is false when the track turned out complete without fetching anything. */
  onComplete(trackId: string, downloaded: boolean): void;
  onFailed(trackId: string, error: RepriseError): void;
  /** State, queue or pauses may have changed. */
  onChange(): void;
  onBody?(bytes: number): void;
}

/** DESIGN.md: bytes that fail verification three times end the track as integrity-mismatch. */
export const INTEGRITY_ATTEMPTS = 3;

interface Attempts {
  failures: number;
  integrity: number;
  notBefore: number;
}

/**
 * Runs the download queue: at most `maxConcurrent` tracks at once (one request each at a
 * time), a shared token bucket, priorities, per-track backoff with full jitter, per-origin
 * Retry-After, the reset window, and pauses with a reason. Everything time-related goes through
 * the injected clock and random source.
 */
export class Scheduler {
  readonly stats = { requests: 0, inFlight: 0, maxInFlight: 0, bodyBytes: 0 };
  private queue: SchedulerJob[] = [];
  private readonly rank = new Map<string, number>();
  private readonly planned = new Set<string>();
  /**
   * Downloads started and not yet settled. `fetching` is false once their requests ended and only
   * the last chunks' verification and commit remain: those no longer hold a request slot.
   */
  private readonly active = new Map<string, { job: SchedulerJob; controller: AbortController; fetching: boolean }>();
  private readonly attempts = new Map<string, Attempts>();
  private readonly pauses = new Set<PauseReason>();
  private readonly urgent = new Map<string, number>();
  private urgentSeq = 0;
  private readonly originUntil = new Map<string, number>();
  private windowUntil = 0;
  private waiting: { reason: WaitReason; until: number } | undefined;
  private spaceBlocked = false;
  private wake: AbortController | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly bucket: TokenBucket;
  /** Chunk buffers shared by the downloads, reused once their write committed. */
  private readonly buffers = new ChunkBuffers();
  private throttle: ThrottleSettings;
  /** Bytes the store can still take (from navigator.storage.estimate()); Infinity when unknown. */
  private spaceLeft = Infinity;

  constructor(
    private readonly hooks: SchedulerHooks,
    throttle: ThrottleSettings,
  ) {
    this.throttle = { ...throttle };
    this.bucket = new TokenBucket(hooks.clock, throttle.bytesPerSecond, hooks.chunkSize);
  }

  /** Replaces the plan. Jobs keep their failure counts; running jobs no longer planned stop. */
  setPlan(jobs: readonly SchedulerJob[], options: { windowMs?: number; chunkSize?: number } = {}): void {
    this.planned.clear();
    this.rank.clear();
    jobs.forEach((job, i) => {
      this.planned.add(job.trackId);
      this.rank.set(job.trackId, i);
    });
    for (const [trackId, { controller }] of this.active) {
      if (!this.planned.has(trackId)) controller.abort(new RepriseError('aborted', `track "${trackId}" is no longer needed offline`));
    }
    for (const trackId of this.attempts.keys()) if (!this.planned.has(trackId)) this.attempts.delete(trackId);
    this.queue = jobs.filter((job) => !this.active.has(job.trackId));
    if (options.windowMs !== undefined && options.windowMs > 0) this.windowUntil = this.hooks.clock.now() + options.windowMs;
    if (options.chunkSize) this.bucket.setCapacity(options.chunkSize);
    this.schedule();
  }

  /**
   * Moves a track to the front and past the reset window and its backoff. If every slot is
   * busy with less urgent work, the least urgent download yields (it keeps its committed chunks).
   */
  prioritize(trackId: string): boolean {
    if (!this.planned.has(trackId)) return false;
    this.urgent.set(trackId, ++this.urgentSeq);
    const attempts = this.attempts.get(trackId);
    if (attempts) attempts.notBefore = 0;
    if (!this.active.has(trackId) && !this.slotFree() && this.pauses.size === 0) {
      const victim = this.fetching().filter((a) => !this.urgent.has(a.job.trackId)).sort((a, b) => this.order(b.job) - this.order(a.job))[0];
      victim?.controller.abort(new RepriseError('aborted', `track "${victim.job.trackId}" yields to "${trackId}", which the user asked for`));
    }
    this.schedule();
    return true;
  }

  pause(reason: PauseReason): void {
    if (this.pauses.has(reason)) return;
    this.pauses.add(reason);
    for (const { controller } of this.active.values()) controller.abort(new RepriseError('aborted', `paused (${reason})`));
    this.schedule();
  }

  resume(reason: PauseReason): void {
    if (!this.pauses.delete(reason)) return;
    if (reason === 'quota-exceeded') this.spaceLeft = Infinity;
    this.schedule();
  }

  /** Re-evaluates what can start (a job became ready). */
  poke(): void {
    this.schedule();
  }

  /** Milliseconds left of the reset window (0 when none). */
  windowRemaining(): number {
    return Math.max(0, this.windowUntil - this.hooks.clock.now());
  }

  get pauseReasons(): PauseReason[] {
    return PAUSE_REASONS.filter((r) => this.pauses.has(r));
  }

  /** Takes effect at once for the rate (waiting requests re-check within 250 ms) and the slot count. */
  setThrottle(throttle: ThrottleSettings): void {
    this.throttle = { ...throttle };
    this.bucket.setRate(throttle.bytesPerSecond);
    const excess = this.fetchingCount() - throttle.maxConcurrent;
    if (excess > 0) {
      const leastUrgent = this.fetching().sort((a, b) => this.order(b.job) - this.order(a.job)).slice(0, excess);
      for (const a of leastUrgent) a.controller.abort(new RepriseError('aborted', 'maxConcurrent was lowered'));
    }
    this.schedule();
  }

  get throttleSettings(): ThrottleSettings {
    return { ...this.throttle };
  }

  /** Bytes the store can still take; the queue pauses (`quota-exceeded`) rather than start a track that cannot fit. */
  setSpaceLeft(bytes: number): void {
    this.spaceLeft = bytes;
    this.schedule();
  }

  state(): SchedulerState {
    const pause = this.pauseReasons[0];
    if (pause) return { state: 'paused', reason: pause };
    if (this.spaceBlocked && this.active.size === 0) return { state: 'paused', reason: 'quota-exceeded' };
    if (this.active.size > 0) return { state: 'downloading' };
    if (this.queue.length > 0 && this.waiting) return { state: 'waiting', ...this.waiting };
    return { state: 'idle' };
  }

  queued(): string[] {
    return [...this.active.keys(), ...this.sortedQueue().map((j) => j.trackId)];
  }

  isActive(trackId: string): boolean {
    return this.active.has(trackId);
  }

  /** Resolves when nothing more can happen without outside help: the queue is empty, or paused. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wake?.abort();
    for (const { controller } of this.active.values()) controller.abort(new RepriseError('aborted', 'the cache was closed'));
    this.queue = [];
    this.buffers.clear();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    if (this.closed) return true;
    if (this.active.size > 0) return false;
    return this.queue.length === 0 || this.pauses.size > 0 || this.spaceBlocked;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private order(job: SchedulerJob): number {
    const urgent = this.urgent.get(job.trackId);
    if (urgent !== undefined) return -urgent; // most recent request first, before any planned rank
    return this.rank.get(job.trackId) ?? Number.MAX_SAFE_INTEGER;
  }

  private sortedQueue(): SchedulerJob[] {
    return [...this.queue].sort((a, b) => this.order(a) - this.order(b));
  }

  private schedule(): void {
    if (this.closed) return;
    this.wake?.abort();
    this.wake = undefined;
    this.waiting = undefined;
    this.spaceBlocked = false;
    if (this.pauses.size === 0) {
      const now = this.hooks.clock.now();
      let next: { reason: WaitReason; until: number } | undefined;
      const later = (reason: WaitReason, until: number) => {
        if (!next || until < next.until) next = { reason, until };
      };
      let space = this.spaceLeft;
      for (const [, a] of this.active) space -= a.job.remainingBytes();
      for (const job of this.sortedQueue()) {
        if (!this.slotFree()) break;
        const attempts = this.attempts.get(job.trackId);
        const urgent = this.urgent.has(job.trackId);
        const windowAt = urgent ? 0 : this.windowUntil;
        const originAt = this.originUntil.get(job.origin) ?? 0;
        const backoffAt = attempts?.notBefore ?? 0;
        // A job whose stored chunks are still being audited holds back the jobs behind it: the
        // audit runs in the same priority order and far faster than any download, so this keeps
        // the slots for the playlist the user wants first.
        if (job.ready && !job.ready()) break;
        if (originAt > now) later('retry-after', originAt);
        else if (windowAt > now) later('reset-window', windowAt);
        else if (backoffAt > now) later('backoff', backoffAt);
        else {
          const need = job.remainingBytes();
          if (need > space) {
            this.spaceBlocked = true;
            continue;
          }
          space -= need;
          this.start(job);
          continue;
        }
      }
      if (next && this.queue.length > 0) {
        this.waiting = next;
        const wake = new AbortController();
        this.wake = wake;
        this.hooks.clock.sleep(next.until - now, wake.signal).then(
          () => this.schedule(),
          () => {},
        );
      }
    }
    this.hooks.onChange();
    this.notifyIdle();
  }

  private start(job: SchedulerJob): void {
    this.queue = this.queue.filter((j) => j !== job);
    const controller = new AbortController();
    const entry = { job, controller, fetching: true };
    this.active.set(job.trackId, entry);
    void this.run(entry).finally(() => {
      this.active.delete(job.trackId);
      this.schedule();
    });
  }

  private requeue(job: SchedulerJob): void {
    if (this.planned.has(job.trackId) && !this.closed && !this.queue.includes(job)) this.queue.push(job);
  }

  /** Downloads whose requests are still open. */
  private fetching() {
    return [...this.active.values()].filter((a) => a.fetching);
  }

  private fetchingCount(): number {
    let n = 0;
    for (const a of this.active.values()) if (a.fetching) n++;
    return n;
  }

  /**
   * A request may start when fewer than `maxConcurrent` are open and at most one download is
   * finishing its last commits outside a slot: enough to keep the network busy (two or three
   * allowed measured no faster), and it bounds the memory held by chunks waiting for a write.
   */
  private slotFree(): boolean {
    const max = this.throttle.maxConcurrent;
    return this.fetchingCount() < max && this.active.size < max + 1;
  }

  private async run(entry: { job: SchedulerJob; controller: AbortController; fetching: boolean }): Promise<void> {
    const { job, controller } = entry;
    const request = job.request();
    if (!request) return this.complete(job.trackId, false);
    let committed = 0;
    try {
      await downloadTrack(request, {
        fetch: this.hooks.fetch,
        clock: this.hooks.clock,
        signal: controller.signal,
        stallMs: this.hooks.stallMs,
        credentials: this.hooks.credentials,
        throttle: (bytes, signal) => this.bucket.take(bytes, signal, () => this.order(job)),
        buffers: this.buffers,
        onNetworkDone: () => {
          entry.fetching = false;
          this.schedule();
        },
        commit: async (chunks) => {
          await this.hooks.commit(job.trackId, chunks);
          committed += chunks.length;
          for (const c of chunks) this.spaceLeft -= c.bytes.byteLength;
        },
        onRequest: () => {
          this.stats.requests++;
          this.stats.inFlight++;
          this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
          return () => void this.stats.inFlight--;
        },
        onBody: (bytes) => {
          this.stats.bodyBytes += bytes;
          this.hooks.onBody?.(bytes);
        },
      });
      if (job.request()) this.requeue(job); // chunks went missing meanwhile (a verify() or a corrupt read)
      else this.complete(job.trackId, true);
    } catch (error) {
      if (controller.signal.aborted) {
        // Stopped (pause, a new plan) after its last chunk was written: the track is complete
        // all the same, and reported so now rather than lost to a stop that came a moment late.
        if (!this.closed && !job.request()) return this.complete(job.trackId, committed > 0);
        return this.requeue(job);
      }
      if (isRepriseError(error, 'quota-exceeded')) {
        this.spaceLeft = 0;
        this.pauses.add('quota-exceeded');
        return this.requeue(job);
      }
      const err = isRepriseError(error) ? (error as RepriseError) : new RepriseError('network', String(error), { trackId: job.trackId }, { cause: error });
      if (!isTransient(err)) return this.fail(job.trackId, err);
      const attempts = this.attempts.get(job.trackId) ?? { failures: 0, integrity: 0, notBefore: 0 };
      this.attempts.set(job.trackId, attempts);
      // A long track on a flaky network keeps going as long as each attempt gets somewhere.
      attempts.failures = committed > 0 ? 1 : attempts.failures + 1;
      if (err.code === 'integrity-mismatch') attempts.integrity++;
      if (attempts.integrity >= INTEGRITY_ATTEMPTS) {
        return this.fail(job.trackId, new RepriseError('integrity-mismatch', `track "${job.trackId}": the origin served bytes that failed verification ${attempts.integrity} times (${err.message})`, { ...err.details, transient: false }));
      }
      if (attempts.failures >= this.hooks.backoff.attempts) {
        return this.fail(job.trackId, new RepriseError(err.code, `${err.message} (gave up after ${attempts.failures} attempts)`, { ...err.details, transient: false }, { cause: err }));
      }
      const now = this.hooks.clock.now();
      attempts.notBefore = now + backoffDelay(attempts.failures, this.hooks.backoff, this.hooks.random);
      const retryAfterMs = err.details.retryAfterMs;
      if (typeof retryAfterMs === 'number') {
        this.originUntil.set(job.origin, Math.max(this.originUntil.get(job.origin) ?? 0, now + retryAfterMs));
      }
      this.requeue(job);
    }
  }

  private complete(trackId: string, downloaded: boolean): void {
    this.planned.delete(trackId);
    this.attempts.delete(trackId);
    this.urgent.delete(trackId);
    this.hooks.onComplete(trackId, downloaded);
  }

  private fail(trackId: string, error: RepriseError): void {
    this.planned.delete(trackId);
    this.attempts.delete(trackId);
    this.urgent.delete(trackId);
    this.hooks.onFailed(trackId, error);
  }
}
