import { BATCH_MAX_AGE_MS } from '../downloader/ChunkSink.js';
import type { ChunkBuffers } from '../downloader/ChunkBuffers.js';
import type { VerifiedChunk } from '../downloader/ChunkSink.js';
import { type DownloadRequest, type DownloadSink, downloadTrack } from '../downloader/downloadTrack.js';
import type { DownloadPausePoints } from './PlaybackFirst.js';
import type { RequestSlots } from './RequestSlots.js';
import { requestSize } from './requestSize.js';
import type { SchedulerHooks } from './SchedulerHooks.js';
import type { SchedulerJob } from './SchedulerJob.js';
import type { TokenBucket } from './TokenBucket.js';

/** Requests and body bytes over the scheduler's life (tests and benchmarks read them). */
export interface SchedulerStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  bodyBytes: number;
}

export interface JobContext {
  hooks: SchedulerHooks;
  bucket: TokenBucket;
  /** Requests open at the origin, shared by every download. */
  slots: RequestSlots;
  buffers: ChunkBuffers;
  stats: SchedulerStats;
  signal: AbortSignal;
  /** The job's place in the queue now (the bucket serves the most urgent first). */
  priority(): number;
  /** The listener asked for this track now: each chunk is written as soon as it verifies (play while missing streams it). */
  urgent(): boolean;
  /**
   * Playback first: `yield` at a point where the download may pause while a listener starts a
   * track (undefined: no hold; with `signal` the wait also ends when it aborts); `holds` says
   * whether a hold applies now. With `digests` (a new request's chunks) a track being played is
   * held too, unless a reader waits for one of them; without them (a write) it is not.
   */
  playback?: DownloadPausePoints;
  /** Stops this attempt so that an urgent request can have its request slot (it is queued again). */
  preempt(): void;
  /** False once no new request may start (the queue paused for a full quota): see `DownloadHooks.mayRequest`. */
  mayRequest?(): boolean;
  /** Receives the download's verified chunks not yet written (see `DownloadHooks.onSink`). */
  onSink?(sink: DownloadSink): void;
  /** Every request of the attempt has ended; only verifying and committing remain. */
  onNetworkDone(): void;
  /** A batch of `chunks` chunks, `bytes` in all, was committed. */
  onCommitted(chunks: number, bytes: number): void;
  /** Verified chunks a full quota refused: kept to be written before the job fetches again. */
  onUnstored(chunks: VerifiedChunk[]): void;
  /** A request of this attempt asks for its authorization now; `accepted` is called when its answer was accepted (a region lock's verdict). */
  onRequest?(): { accepted(): void };
}

/**
 * One attempt at a job: first the chunks an earlier attempt verified and a full quota refused,
 * then what is still missing. Resolves false when nothing had to be fetched.
 */
export async function attemptJob(job: SchedulerJob, held: VerifiedChunk[], ctx: JobContext): Promise<boolean> {
  if (held.length > 0) await commitHeld(job.trackId, held, ctx);
  const request = job.request();
  if (!request) return false;
  await downloadJob(job.trackId, request, ctx);
  return true;
}

/**
 * Writes chunks verified by an earlier attempt that a full quota refused. What the store still
 * refuses goes back to `ctx.onUnstored`, and the store's error is thrown.
 */
async function commitHeld(trackId: string, chunks: VerifiedChunk[], ctx: Pick<JobContext, 'hooks' | 'onCommitted' | 'onUnstored'>): Promise<void> {
  try {
    await ctx.hooks.commit(trackId, chunks);
    ctx.onCommitted(chunks.length, chunks.reduce((n, c) => n + c.bytes.byteLength, 0));
  } catch (error) {
    const stored = new Set(((error as { details?: { committed?: unknown } }).details?.committed as string[] | undefined) ?? []);
    ctx.onUnstored(chunks.filter((c) => !stored.has(c.digest)));
    throw error;
  }
}

/**
 * One attempt at a job: the downloader wired to the shared token bucket and request slots, the
 * buffers, the commit hook and the stats. Requests are sized by {@link requestSize}: never more
 * than the bucket holds, capped or not.
 */
export function downloadJob(trackId: string, request: DownloadRequest, ctx: JobContext): Promise<unknown> {
  const { hooks, bucket, stats } = ctx;
  // One claim for the attempt: an urgent request preempts the whole attempt, whichever of its slots it takes.
  const claim = { urgent: ctx.urgent, preempt: ctx.preempt };
  return downloadTrack(request, {
    fetch: hooks.fetch,
    clock: hooks.clock,
    signal: ctx.signal,
    stallMs: hooks.stallMs,
    credentials: hooks.credentials,
    allowedOrigins: hooks.allowedOrigins,
    authorize: hooks.authorize,
    throttle: (bytes, signal) => bucket.take(bytes, signal, ctx.priority),
    maxRequestBytes: () => requestSize(bucket.burst, bucket.bytesPerSecond),
    // Two requests' worth asked and not yet received (two buckets while capped): what an
    // abandoned attempt costs at most.
    maxOpenBytes: () => 2 * Math.max(bucket.burst, requestSize(bucket.burst, bucket.bytesPerSecond)),
    slot: (signal, eta) => ctx.slots.acquire(signal, ctx.priority, claim, eta),
    batchAgeMs: () => (ctx.urgent() ? 0 : BATCH_MAX_AGE_MS),
    onSink: ctx.onSink,
    prepareWrite: hooks.prepareWrite,
    onVerified: hooks.verified,
    yieldToPlayback: ctx.playback && ((digests) => ctx.playback!.yield(ctx.signal, digests)),
    holdsFor: ctx.playback && ((digests) => ctx.playback!.holds(digests)),
    mayRequest: ctx.mayRequest,
    buffers: ctx.buffers,
    onNetworkDone: ctx.onNetworkDone,
    onUnstored: ctx.onUnstored,
    commit: async (chunks) => {
      // Playback first: a background batch waits for the hold to end before its write, which
      // would hold up the service worker's reads of the track being started.
      const held = ctx.playback?.yield();
      if (held) await held;
      await hooks.commit(trackId, chunks);
      ctx.onCommitted(chunks.length, chunks.reduce((n, c) => n + c.bytes.byteLength, 0));
    },
    onRequest: () => {
      stats.requests++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      const request = ctx.onRequest?.();
      return { accepted: () => request?.accepted(), ended: () => void stats.inFlight-- };
    },
    // Not passed on to hooks.onBody: the progress rate is measured over stored bytes.
    onBody: (bytes) => void (stats.bodyBytes += bytes),
  });
}
