import { RepriseError } from '../errors/RepriseError.js';
import { ChunkBuffers } from '../downloader/ChunkBuffers.js';
import { type Candidate, type WaitReason, admit } from './admission.js';
import { type JobContext, type SchedulerStats, attemptJob } from './downloadJob.js';
import { HeldChunks } from './HeldChunks.js';
import { type Active, ActiveDownloads } from './ActiveDownloads.js';
import { IdleSignal } from './IdleSignal.js';
import { PlaybackFirst } from './PlaybackFirst.js';
import { PlanQueue } from './PlanQueue.js';
import { RefusalVerdicts } from './RefusalVerdicts.js';
import { RequestThrottle } from './RequestThrottle.js';
import { PAUSE_REASONS, type PauseReason, type SchedulerState, schedulerState } from './SchedulerState.js';
import type { SchedulerHooks, ThrottleSettings } from './SchedulerHooks.js';
import { type SchedulerJob, sameTarget } from './SchedulerJob.js';
import { INTEGRITY_ATTEMPTS } from './retryPolicy.js';
import { RetryBook } from './RetryBook.js';
import { WakeTimer } from './WakeTimer.js';

export { INTEGRITY_ATTEMPTS, PAUSE_REASONS, type PauseReason, type SchedulerHooks, type SchedulerJob, type SchedulerState, type ThrottleSettings, type WaitReason };

/**
 * Runs the download queue: at most `maxConcurrent` tracks and `maxConcurrent` requests at once
 * (a download pipelines two), a shared token bucket that pays for bytes before they are asked
 * for ({@link RequestThrottle}), priorities, retries ({@link RetryBook}) and admission
 * ({@link admit}), pauses with a reason; verified chunks a full quota refused are held and
 * written first when the track's job runs again. Everything time-related goes through the
 * injected clock and random source.
 */
export class Scheduler {
  readonly stats: SchedulerStats = { requests: 0, inFlight: 0, maxInFlight: 0, bodyBytes: 0 };
  private readonly plan = new PlanQueue();
  private readonly active = new ActiveDownloads(this.plan);
  /** The running downloads, to look up a chunk one verified and has not written yet (valid until the caller's task ends). */
  readonly running: Pick<ActiveDownloads, 'heldChunk'> = this.active;
  /** Failed attempts, backoff and each origin's Retry-After. */
  private readonly retries: RetryBook;
  private readonly held = new HeldChunks();
  private readonly pauses = new Set<PauseReason>();
  /** 401/403s: a track's (a region lock) or the session's ({@link RefusalVerdicts}). */
  private readonly verdicts: RefusalVerdicts;
  private windowUntil = 0;
  private waiting: { reason: WaitReason; until: number } | undefined;
  private spaceBlocked = false;
  /** When admission next changes by itself (a backoff, a window, Retry-After ends). */
  private readonly wake: WakeTimer;
  private readonly idleSignal = new IdleSignal(() => this.isIdle());
  private closed = false;
  /** Request slots and the token bucket, shared by every download. */
  private readonly throttle: RequestThrottle;
  /** Chunk buffers shared by the downloads, reused once their write committed. */
  private readonly buffers = new ChunkBuffers();
  /** What every download of this scheduler shares. */
  private readonly shared: Pick<JobContext, 'hooks' | 'bucket' | 'slots' | 'buffers' | 'stats'>;
  /** Bytes the store can still take (from navigator.storage.estimate()); Infinity when unknown. */
  private spaceLeft = Infinity;
  /** Holds background downloads while a listener starts a track (a play, a seek). */
  readonly playbackFirst: PlaybackFirst;

  constructor(
    private readonly hooks: SchedulerHooks,
    throttle: ThrottleSettings,
  ) {
    this.throttle = new RequestThrottle(hooks.clock, throttle, hooks.chunkSize);
    const { bucket, slots } = this.throttle;
    this.playbackFirst = new PlaybackFirst(hooks.clock);
    this.retries = new RetryBook(hooks);
    this.wake = new WakeTimer(hooks.clock);
    this.shared = { hooks, bucket, slots, buffers: this.buffers, stats: this.stats };
    this.verdicts = new RefusalVerdicts({
      hooks,
      slots,
      bucket,
      asks: (origin, aside) => {
        const asks = (j: SchedulerJob) => j.origin === origin && !aside(j.trackId);
        return this.plan.someQueued(asks) || this.active.someSending(asks);
      },
      end: (job, error) => {
        this.plan.take(job);
        this.fail(job, error);
      },
      pauseSession: () => this.pause('unauthorized'),
      schedule: () => this.schedule(),
    });
  }

  /**
   * Replaces the plan. Jobs keep their failure counts; running jobs no longer planned stop, and
   * a running job whose entry changed (content or URL) stops and its new entry is queued.
   */
  setPlan(jobs: readonly SchedulerJob[], options: { windowMs?: number; chunkSize?: number } = {}): void {
    const byId = new Map(jobs.map((j) => [j.trackId, j]));
    for (const [trackId, a] of this.active) {
      const next = byId.get(trackId);
      if (next && sameTarget(next, a.job)) continue;
      if (next) a.superseded = true;
      a.leftPlan = true;
      a.controller.abort(new RepriseError('aborted', next ? `track "${trackId}" was re-published` : `track "${trackId}" is no longer needed offline`));
    }
    this.retries.retain((id) => byId.has(id));
    this.verdicts.retain((id) => byId.has(id));
    this.held.retain((id) => byId.get(id)?.contentId);
    this.plan.replace(jobs, (job) => !this.active.has(job.trackId) || this.active.get(job.trackId)!.superseded);
    if (options.windowMs !== undefined && options.windowMs > 0) this.windowUntil = this.hooks.clock.now() + options.windowMs;
    this.throttle.setChunkSize(options.chunkSize);
    this.schedule();
  }

  /**
   * Moves a track to the front and past the reset window and its backoff, and starts it at once:
   * it does not wait for a free download place, and its requests take the request slots of the
   * least urgent downloads, which yield (they stop, keep their committed chunks and are queued
   * again; {@link RequestSlots}: one about to end is let end). The cap holds.
   */
  prioritize(trackId: string): boolean {
    if (!this.plan.entry(trackId)) return false;
    this.plan.markUrgent(trackId);
    this.retries.waive(trackId);
    // Running: the chunks it verified and holds for a batch are written (handed to a reader) now.
    this.active.get(trackId)?.sink?.hurry();
    this.playbackFirst.wake(); // held at a pause point: it goes on now
    this.schedule();
    this.throttle.slots.poke(); // a running download that just became urgent, waiting for a slot
    return true;
  }

  pause(reason: PauseReason): void {
    if (this.pauses.has(reason)) return;
    this.pauses.add(reason);
    // Tracks refused and waiting for a verdict are queued as any other: resume() tries them again.
    if (reason === 'unauthorized') this.verdicts.clear();
    for (const { controller } of this.active.values()) controller.abort(new RepriseError('aborted', `paused (${reason})`));
    this.schedule();
  }

  resume(reason: PauseReason): void {
    const waived = (reason === 'offline' || reason === 'user') && this.retries.waiveAll(); // back online, or "go on": backoffs end
    if (!this.pauses.delete(reason)) return void (waived && this.schedule());
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

  /**
   * Takes effect at once. Requests sized for no cap stop when a cap is set (they go on in
   * paced requests, keeping their chunks): the origin would otherwise send them whole.
   */
  setThrottle(throttle: ThrottleSettings): void {
    const stop = this.throttle.set(throttle) ? this.active.fetching() : this.active.leastUrgent(this.active.fetching().length - throttle.maxConcurrent);
    for (const a of stop) a.controller.abort(new RepriseError('aborted', 'the throttle was lowered'));
    this.schedule();
  }

  get throttleSettings(): ThrottleSettings {
    return this.throttle.settings;
  }

  /** Bytes the store can still take; the queue pauses (`quota-exceeded`) rather than start a track that cannot fit. */
  setSpaceLeft(bytes: number): void {
    this.spaceLeft = bytes;
    this.schedule();
  }

  state(): SchedulerState {
    return schedulerState({ pause: this.pauseReasons[0], spaceBlocked: this.spaceBlocked, running: this.active.size, planned: this.plan.size, waiting: this.waiting });
  }

  queued(): string[] {
    const running = [...this.active.values()].filter((a) => !a.superseded).map((a) => a.job.trackId);
    return [...running, ...this.plan.sorted().map((j) => j.trackId)];
  }

  isActive(trackId: string): boolean {
    return this.active.has(trackId);
  }

  /**
   * The origin refused this track while the queue goes on with its other tracks: it waits aside
   * until a request authorized after the refusal says whether the refusal was the track's (a region
   * lock: it ends `unauthorized`) or the session's (the queue pauses `unauthorized`).
   */
  isRefused(trackId: string): boolean {
    return this.verdicts.isAside(trackId);
  }

  /** The listener waits for this track ({@link prioritize}) and it is not done yet. */
  isUrgent(trackId: string): boolean {
    return this.plan.isUrgent(trackId);
  }

  /** Resolves when nothing more can happen without outside help: the queue is empty, or paused. */
  idle(): Promise<void> {
    return this.idleSignal.wait();
  }

  close(): void {
    this.closed = true;
    this.verdicts.clear();
    this.wake.cancel();
    this.playbackFirst.release();
    this.throttle.slots.close();
    for (const { controller } of this.active.values()) controller.abort(new RepriseError('aborted', 'the cache was closed'));
    this.plan.clear();
    this.held.clear();
    this.buffers.clear();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    if (this.closed) return true;
    if (this.active.size > 0) return false;
    return this.plan.size === 0 || this.pauses.size > 0 || this.spaceBlocked;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    if (this.active.size === 0) this.buffers.clear(); // nothing downloads: the pooled buffers go back to the system
    this.idleSignal.notify();
  }

  private schedule(): void {
    if (this.closed) return;
    this.wake.cancel();
    this.waiting = undefined;
    this.spaceBlocked = false;
    if (this.pauses.size === 0) this.verdicts.judgeUnasked();
    if (this.pauses.size === 0) {
      const now = this.hooks.clock.now();
      const space = this.spaceLeft - this.active.remainingBytes();
      // A superseded download may still be settling; a refused track waits aside for its verdict.
      const queued = new Map(this.plan.sorted().filter((j) => !this.active.has(j.trackId) && !this.verdicts.isAside(j.trackId)).map((j) => [j.trackId, j]));
      const candidates = [...queued.values()].map(
        (job): Candidate => ({ id: job.trackId, origin: job.origin, urgent: this.plan.isUrgent(job.trackId), notBefore: this.retries.notBefore(job.trackId), ready: () => job.ready?.() ?? true, need: () => job.remainingBytes() }),
      );
      const admission = admit({ candidates, now, ...this.active.room(this.throttle.maxConcurrent), windowUntil: this.windowUntil, originUntil: this.retries.originUntil, space });
      this.spaceBlocked = admission.spaceBlocked;
      for (const id of admission.start) this.start(queued.get(id)!);
      const next = admission.wait;
      if (next && this.plan.size > 0) {
        this.waiting = next;
        this.wake.set(next.until - now, () => this.schedule());
      }
    }
    this.hooks.onChange();
    this.notifyIdle();
  }

  private start(job: SchedulerJob): void {
    this.plan.take(job);
    const entry: Active = { job, controller: new AbortController(), fetching: true, superseded: false, leftPlan: false, committed: 0 };
    this.active.set(job.trackId, entry);
    void this.run(entry)
      // A stopped download still writes its verified chunks: once it left the plan (or its content
      // was replaced before the new plan reached it) they may be needed by nothing: freed; planned
      // again meanwhile (taken for running), it is queued now.
      .then(() => (entry.committed > 0 && (entry.leftPlan || this.hooks.isReplaced?.(job)) ? this.hooks.onLeftPlan?.(job).then(() => this.requeue(job)) : undefined))
      .catch(() => {})
      .finally(() => {
        if (this.active.get(job.trackId) === entry) this.active.delete(job.trackId);
        this.schedule();
      });
  }

  private requeue(job: SchedulerJob): void {
    if (!this.closed) this.plan.requeue(job);
  }

  private async run(entry: Active): Promise<void> {
    const { job, controller } = entry;
    /** The number of this attempt's latest request (a refusal is judged against later ones). */
    let lastRequest = 0;
    try {
      const fetched = await attemptJob(job, this.held.take(job.trackId, job.contentId), {
        ...this.shared,
        signal: controller.signal,
        priority: () => this.plan.order(job.trackId),
        urgent: () => this.plan.isUrgent(job.trackId),
        // Held: background downloads, and a played track's requests for chunks no reader waits for yet.
        playback: this.playbackFirst.forDownload(() => this.plan.isUrgent(job.trackId), (d) => this.hooks.awaited?.(d) ?? true),
        onSink: (sink) => (entry.sink = sink),
        // Another download found the quota full: requests open are read on, none is added.
        mayRequest: () => !this.pauses.has('quota-exceeded'),
        preempt: () => controller.abort(new RepriseError('aborted', `track "${job.trackId}" yields its request slot to a track being played`)),
        onNetworkDone: () => {
          entry.fetching = false;
          this.schedule();
        },
        onCommitted: (chunks, bytes) => {
          entry.committed += chunks;
          this.spaceLeft -= bytes;
        },
        onUnstored: (chunks) => this.held.add(job.trackId, job.contentId, chunks),
        onRequest: () => {
          const request = this.verdicts.request(job);
          lastRequest = request.number;
          return request;
        },
      });
      if (!fetched) return this.complete(job, entry.committed > 0);
      if (entry.superseded) return;
      if (job.request()) this.requeue(job); // chunks went missing meanwhile (a verify() or a corrupt read)
      else this.complete(job, true);
    } catch (error) {
      if (entry.superseded) return;
      if (controller.signal.aborted) {
        // Stopped (pause, a new plan) after its last chunk was written: the track is complete
        // all the same, and reported so now rather than lost to a stop that came a moment late.
        if (!this.closed && !job.request()) return this.complete(job, entry.committed > 0);
        return this.requeue(job);
      }
      const decision = this.retries.failed(error, job, entry.committed, this.hooks.clock.now());
      if (decision.action === 'fail') return this.fail(job, decision.error);
      if (decision.action === 'quota') {
        this.spaceLeft = 0;
        this.pauses.add('quota-exceeded');
      } else if (decision.action === 'unauthorized') {
        if (this.verdicts.refuse(job, error as RepriseError, lastRequest)) return;
      } // a retry: booked with its backoff
      this.requeue(job);
    }
  }

  private settle(job: SchedulerJob): void {
    this.plan.settle(job);
    this.retries.forget(job.trackId);
  }

  private complete(job: SchedulerJob, downloaded: boolean): void {
    this.settle(job);
    this.hooks.onComplete(job, downloaded);
  }

  private fail(job: SchedulerJob, error: RepriseError): void {
    this.settle(job);
    this.hooks.onFailed(job, error);
  }
}

