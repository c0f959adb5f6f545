import type { DownloadHooks } from '../downloader/downloadTrack.js';
import type { RepriseError } from '../errors/RepriseError.js';
import type { VerifiedChunk } from '../downloader/ChunkSink.js';
import type { Clock } from '../util/clock.js';
import type { BackoffOptions } from './backoff.js';
import type { SchedulerJob } from './SchedulerJob.js';

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
  /** Largest chunk size in the plan until setPlan() says otherwise: the token bucket holds at most this (no burst above one chunk). */
  chunkSize: number;
  /** Origins a response's final URL (after redirects) may be on. */
  allowedOrigins: ReadonlySet<string>;
  /** The app's authorize hook (bounded), for media requests. */
  authorize?: DownloadHooks['authorize'];
  commit(trackId: string, chunks: VerifiedChunk[]): Promise<void>;
  /** Makes a verified chunk's stored value as it verifies (see `DownloadHooks.prepareWrite`). */
  prepareWrite?(bytes: ArrayBuffer): Blob | undefined;
  /** Each chunk as it verifies, before it waits for its write: a reader waiting for it takes it now (its bytes valid during the call only). */
  verified?(chunk: VerifiedChunk): void;
  /** A reader (the service worker, serving a play) waits for this chunk now: it is fetched during a playback hold. Default: none is. */
  awaited?(digest: string): boolean;
  /** The job that ran (its content id is what was fetched). `downloaded`: false when nothing had to be fetched. */
  onComplete(job: SchedulerJob, downloaded: boolean): void;
  onFailed(job: SchedulerJob, error: RepriseError): void;
  /**
   * A download the plan dropped or replaced (released, re-published) committed chunks and has
   * ended: its content may be needed by nothing now. The download's place is given back once
   * the returned promise settles, so `idle()` comes after it.
   */
  onLeftPlan?(job: SchedulerJob): Promise<void>;
  /**
   * The manifest in force lists other content for the job's track, or no such track (a sync
   * accepted it and its new plan has not reached this job yet): what the job committed may be
   * needed by nothing, and is handed to {@link onLeftPlan} when it ends. Default: never.
   */
  isReplaced?(job: SchedulerJob): boolean;
  /**
   * A track `origin` serves (its URL), other than those refused there (`aside`): asked for one byte
   * when no download is left to say whether a refusal is the session's or the track's. Default: none (the queue pauses).
   */
  probeTarget?(origin: string, aside: (trackId: string) => boolean): { trackId: string; url: string } | undefined;
  /** The origin refused the job's track and it waits aside for a verdict (Scheduler.isRefused): readers waiting for it learn now. */
  onRefused?(job: SchedulerJob, error: RepriseError): void;
  /** State, queue or pauses may have changed. */
  onChange(): void;
  /**
   * @deprecated No longer called: the progress rate is measured over verified, stored bytes
   * (ProgressReporter.stored), not body bytes as they arrive.
   */
  onBody?(bytes: number): void;
}
