import type { ChunkBuffers } from '../downloader/ChunkBuffers.js';
import { type DownloadRequest, downloadTrack } from '../downloader/downloadTrack.js';
import type { RequestSlots } from './RequestSlots.js';
import type { SchedulerHooks } from './SchedulerHooks.js';
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
  /** Every request of the attempt has ended; only verifying and committing remain. */
  onNetworkDone(): void;
  /** A batch of `chunks` chunks, `bytes` in all, was committed. */
  onCommitted(chunks: number, bytes: number): void;
}

/**
 * One attempt at a job: the downloader wired to the shared token bucket and request slots, the
 * buffers, the commit hook and the stats. Every request, capped or not, is at most what the
 * bucket holds (one chunk of the plan's largest size): paid for at once while a cap is set, and
 * an abandoned response (a full quota, a pause) costs at most that much at the origin.
 */
export function downloadJob(trackId: string, request: DownloadRequest, ctx: JobContext): Promise<unknown> {
  const { hooks, bucket, stats } = ctx;
  return downloadTrack(request, {
    fetch: hooks.fetch,
    clock: hooks.clock,
    signal: ctx.signal,
    stallMs: hooks.stallMs,
    credentials: hooks.credentials,
    allowedOrigins: hooks.allowedOrigins,
    throttle: (bytes, signal) => bucket.take(bytes, signal, ctx.priority),
    maxRequestBytes: () => bucket.burst,
    slot: (signal) => ctx.slots.acquire(signal, ctx.priority),
    buffers: ctx.buffers,
    onNetworkDone: ctx.onNetworkDone,
    commit: async (chunks) => {
      await hooks.commit(trackId, chunks);
      ctx.onCommitted(chunks.length, chunks.reduce((n, c) => n + c.bytes.byteLength, 0));
    },
    onRequest: () => {
      stats.requests++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      return () => void stats.inFlight--;
    },
    onBody: (bytes) => {
      stats.bodyBytes += bytes;
      hooks.onBody?.(bytes);
    },
  });
}
