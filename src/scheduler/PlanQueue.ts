import { type SchedulerJob, sameTarget } from './SchedulerJob.js';

/**
 * The plan the scheduler works through: which track ids are wanted (and what each fetches), in
 * what order, which the user asked for now, and which are queued (not running).
 */
export class PlanQueue {
  private queue: SchedulerJob[] = [];
  private readonly planned = new Map<string, SchedulerJob>();
  private readonly rank = new Map<string, number>();
  /** Tracks the user asked for, by when: the most recent first, before any planned rank. */
  private readonly urgent = new Map<string, number>();
  private urgentSeq = 0;

  /** Replaces the plan; `queued` are the jobs to queue (the others are running). Urgency is kept for tracks still planned. */
  replace(jobs: readonly SchedulerJob[], queued: (job: SchedulerJob) => boolean): void {
    this.planned.clear();
    this.rank.clear();
    jobs.forEach((job, i) => {
      this.planned.set(job.trackId, job);
      this.rank.set(job.trackId, i);
    });
    for (const id of this.urgent.keys()) if (!this.planned.has(id)) this.urgent.delete(id);
    this.queue = jobs.filter(queued);
  }

  /** The plan's entry for a track id. */
  entry(trackId: string): SchedulerJob | undefined {
    return this.planned.get(trackId);
  }

  get size(): number {
    return this.queue.length;
  }

  markUrgent(trackId: string): void {
    this.urgent.set(trackId, ++this.urgentSeq);
  }

  isUrgent(trackId: string): boolean {
    return this.urgent.has(trackId);
  }

  /** Lower runs first. */
  order(trackId: string): number {
    const urgent = this.urgent.get(trackId);
    if (urgent !== undefined) return -urgent;
    return this.rank.get(trackId) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Some queued job (in no order) matches. */
  someQueued(match: (job: SchedulerJob) => boolean): boolean {
    return this.queue.some(match);
  }

  sorted(): SchedulerJob[] {
    return [...this.queue].sort((a, b) => this.order(a.trackId) - this.order(b.trackId));
  }

  /** Takes the track's job off the queue (it starts, or ends while queued). */
  take(job: SchedulerJob): void {
    this.queue = this.queue.filter((j) => j.trackId !== job.trackId);
  }

  /** Queues the plan's entry for this job again, unless the plan no longer wants what it fetched. */
  requeue(job: SchedulerJob): void {
    const planned = this.planned.get(job.trackId);
    if (planned && sameTarget(planned, job) && !this.queue.some((j) => j.trackId === job.trackId)) this.queue.push(planned);
  }

  /** The job ended (complete or failed): the plan's entry for what it fetched is done. */
  settle(job: SchedulerJob): void {
    const planned = this.planned.get(job.trackId);
    if (planned && sameTarget(planned, job)) this.planned.delete(job.trackId);
    this.urgent.delete(job.trackId);
  }

  clear(): void {
    this.queue = [];
  }
}
