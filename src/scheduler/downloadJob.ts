import type { ChunkBuffers } from '../downloader/ChunkBuffers.js';
import { type DownloadRequest, downloadTrack } from '../downloader/downloadTrack.js';
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
 * One attempt at a job: the downloader wired to the shared token bucket (requests never larger
 * than the bucket pays for at once while a cap is set), the buffers, the commit hook and the stats.
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
    maxRequestBytes: () => (Number.isFinite(bucket.bytesPerSecond) ? bucket.burst : Infinity),
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
