import type { DownloadSink } from '../downloader/downloadTrack.js';
import type { PlanQueue } from './PlanQueue.js';
import type { SchedulerJob } from './SchedulerJob.js';

/** A download started and not yet settled. */
export interface Active {
  job: SchedulerJob;
  controller: AbortController;
  /** False once its requests ended and only the last verification and commit remain. */
  fetching: boolean;
  /** A new plan replaced its entry (re-published): it settles without completing or requeueing. */
  superseded: boolean;
  /** A new plan no longer has it as it was (released or re-published): what it writes from now on may be content nothing needs. */
  leftPlan: boolean;
  /** Chunks this download committed. */
  committed: number;
  /** Its verified chunks not yet written: committed at once, or one looked up (set once its download runs). */
  sink?: DownloadSink;
}

/** The downloads running now, by track id, and which of them still hold requests open. */
export class ActiveDownloads extends Map<string, Active> {
  constructor(private readonly plan: PlanQueue) {
    super();
  }

  /** Downloads whose requests are still open. */
  fetching(): Active[] {
    return [...this.values()].filter((a) => a.fetching);
  }

  /** Some download that still sends requests (not superseded) is of a matching job. */
  someSending(match: (job: SchedulerJob) => boolean): boolean {
    for (const a of this.values()) if (a.fetching && !a.superseded && match(a.job)) return true;
    return false;
  }

  fetchingCount(): number {
    let n = 0;
    for (const a of this.values()) if (a.fetching) n++;
    return n;
  }

  /** The bytes of a chunk some download verified and has not written yet. */
  heldChunk(digest: string): ArrayBuffer | undefined {
    for (const a of this.values()) {
      const bytes = a.sink?.held(digest);
      if (bytes) return bytes;
    }
    return undefined;
  }

  /** Downloads of tracks a listener waits for. */
  urgentCount(): number {
    let n = 0;
    for (const id of this.keys()) if (this.plan.isUrgent(id)) n++;
    return n;
  }

  /**
   * How many more downloads may start: at most `maxConcurrent` with requests open and one more
   * finishing its last writes (`slots`); a track the listener waits for starts at once (its
   * requests preempt background ones for their slots), up to `maxConcurrent` urgent downloads.
   */
  room(maxConcurrent: number): { slots: number; urgentSlots: number } {
    return { slots: Math.min(maxConcurrent - this.fetchingCount(), maxConcurrent + 1 - this.size), urgentSlots: maxConcurrent - this.urgentCount() };
  }

  /** Bytes the running downloads still have to write. */
  remainingBytes(): number {
    let n = 0;
    for (const a of this.values()) n += a.job.remainingBytes();
    return n;
  }

  /** The `n` least urgent downloads with requests open (those that yield to a more urgent one). */
  leastUrgent(n: number): Active[] {
    if (n <= 0) return [];
    return this.fetching()
      .filter((a) => !this.plan.isUrgent(a.job.trackId))
      .sort((a, b) => this.plan.order(b.job.trackId) - this.plan.order(a.job.trackId))
      .slice(0, n);
  }
}
