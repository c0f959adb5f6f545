import type { BackoffOptions } from './backoff.js';
import { type RetryDecision, type RetryState, decideRetry } from './retryPolicy.js';

/**
 * What the scheduler remembers of failures: each track's failed attempts and backoff
 * ({@link decideRetry}), and each origin's `Retry-After`, which holds all its tracks.
 */
export class RetryBook {
  private readonly attempts = new Map<string, RetryState>();
  /** Clock time before which no request goes to the origin (its `Retry-After`). */
  readonly originUntil = new Map<string, number>();

  constructor(private readonly options: { backoff: BackoffOptions; random: () => number }) {}

  /** Clock time before which the track must not start again (0: now). */
  notBefore(trackId: string): number {
    return this.attempts.get(trackId)?.notBefore ?? 0;
  }

  /** A listener waits for the track: its backoff is waived (its failure count stays). */
  waive(trackId: string): void {
    const state = this.attempts.get(trackId);
    if (state) state.notBefore = 0;
  }

  /** The network is back, or the caller resumed: every track's backoff is waived (failure counts stay); true if one was. */
  waiveAll(): boolean {
    let waived = false;
    for (const state of this.attempts.values()) if (state.notBefore > 0) (state.notBefore = 0), (waived = true);
    return waived;
  }

  /** The track settled (complete or failed): its failures are forgotten. */
  forget(trackId: string): void {
    this.attempts.delete(trackId);
  }

  /** A new plan: the failures of tracks it keeps are kept. */
  retain(keep: (trackId: string) => boolean): void {
    for (const id of this.attempts.keys()) if (!keep(id)) this.attempts.delete(id);
  }

  /** An attempt failed: what happens next; a retry is booked (the track's backoff, the origin's Retry-After). */
  failed(error: unknown, job: { trackId: string; origin: string }, committed: number, now: number): RetryDecision {
    const decision = decideRetry(error, { trackId: job.trackId, state: this.attempts.get(job.trackId), committed, backoff: this.options.backoff, now, random: this.options.random });
    if (decision.action === 'retry') this.attempts.set(job.trackId, decision.state);
    // Also when the track gave up: the origin asked for the pause, for all its tracks.
    const until = decision.action === 'retry' || decision.action === 'fail' ? decision.originUntil : undefined;
    if (until !== undefined) this.originUntil.set(job.origin, Math.max(this.originUntil.get(job.origin) ?? 0, until));
    return decision;
  }
}
