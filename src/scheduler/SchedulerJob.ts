import type { DownloadRequest } from '../downloader/downloadTrack.js';

export interface SchedulerJob {
  trackId: string;
  /** What it fetches: a plan whose entry for `trackId` has another content id or URL supersedes it. */
  contentId: string;
  url: string;
  /** The origin its requests go to (Retry-After pauses a whole origin). */
  origin: string;
  /** A request for what is missing now, or undefined when the track is complete. */
  request(): DownloadRequest | undefined;
  /** Bytes still to fetch (for the storage budget). */
  remainingBytes(): number;
  /** False while the job must not start yet (its stored chunks are being audited). Default true. */
  ready?(): boolean;
}

/** Two jobs fetch the same thing: the same content from the same URL. */
export const sameTarget = (a: SchedulerJob, b: SchedulerJob): boolean => a.contentId === b.contentId && a.url === b.url;
