import type { RepriseError } from '../errors/RepriseError.js';
import type { SchedulerJob } from './SchedulerJob.js';

/**
 * Tracks refused at one origin with no request accepted there since, before the queue pauses
 * `unauthorized`: three refused tracks are the session, not the tracks (docs/authenticated-media.md).
 */
export const REFUSED_BEFORE_PAUSE = 3;

/** A track refused (401/403 after `authorize` was asked again), waiting for a verdict. */
interface Refusal {
  job: SchedulerJob;
  error: RepriseError;
  /** The number of the last request the track sent before it was refused. */
  request: number;
}

/** The latest accepted request at an origin, and the latest by another track than that one. */
interface Accepted {
  latest: { request: number; trackId: string };
  other?: { request: number; trackId: string };
}

/**
 * A region lock (docs/authenticated-media.md, DESIGN.md "Authenticated media"): a track the
 * origin refuses while it serves other tracks to requests authorized after that refusal is
 * refused for itself, and only it ends `unauthorized`. Until such a request was accepted, a
 * refused track waits aside (not started again) and the queue goes on with the origin's other
 * tracks; when none is left to ask, or {@link REFUSED_BEFORE_PAUSE} tracks were refused, the
 * refusal is the session's: the queue pauses and nothing is dropped.
 *
 * Requests are numbered in the order they ask `authorize` (before it is called): a request is
 * "authorized after" a refusal when its number is higher than the refused track's last one.
 */
export class RefusedTracks {
  private readonly refused = new Map<string, Map<string, Refusal>>();
  private readonly accepted = new Map<string, Accepted>();
  private requests = 0;

  /** Numbers a request as it asks for its authorization. */
  nextRequest(): number {
    return ++this.requests;
  }

  /**
   * `trackId`'s request number `request` to `origin` was accepted (2xx). Returns the refused tracks
   * whose refusal it settles: refused before it was sent, so refused for themselves.
   */
  acceptedAt(origin: string, trackId: string, request: number): Refusal[] {
    const seen = this.accepted.get(origin);
    if (!seen) this.accepted.set(origin, { latest: { request, trackId } });
    else if (seen.latest.trackId === trackId) seen.latest.request = Math.max(seen.latest.request, request);
    else if (request > seen.latest.request) this.accepted.set(origin, { latest: { request, trackId }, other: seen.latest });
    else if (!seen.other || request > seen.other.request) seen.other = { request, trackId };
    const waiting = this.refused.get(origin);
    if (!waiting) return [];
    const settled = [...waiting.values()].filter((r) => r.job.trackId !== trackId && r.request < request);
    for (const r of settled) waiting.delete(r.job.trackId);
    if (waiting.size === 0) this.refused.delete(origin);
    return settled;
  }

  /**
   * `job` was refused at its origin after its last request, number `request`. `'track'`: another
   * track's request sent after it was accepted already (a region lock: the track ends); else it
   * waits aside (`'aside'`) or, at {@link REFUSED_BEFORE_PAUSE}, the queue must pause (`'session'`).
   */
  refuse(job: SchedulerJob, error: RepriseError, request: number): 'track' | 'aside' | 'session' {
    const seen = this.accepted.get(job.origin);
    const byOther = seen && (seen.latest.trackId !== job.trackId ? seen.latest : seen.other);
    if (byOther && byOther.request > request) return 'track';
    const waiting = this.refused.get(job.origin) ?? new Map<string, Refusal>();
    this.refused.set(job.origin, waiting);
    waiting.set(job.trackId, { job, error, request });
    return waiting.size >= REFUSED_BEFORE_PAUSE ? 'session' : 'aside';
  }

  /** Waits aside for a verdict: not started again until then. */
  isAside(trackId: string): boolean {
    for (const waiting of this.refused.values()) if (waiting.has(trackId)) return true;
    return false;
  }

  /** Origins with tracks waiting aside. */
  origins(): string[] {
    return [...this.refused.keys()];
  }

  /** Every track waiting aside goes back to the queue (the queue paused: `resume()` tries them all again). */
  clear(): void {
    this.refused.clear();
  }

  /** Forgets tracks no longer planned. */
  retain(planned: (trackId: string) => boolean): void {
    for (const [origin, waiting] of this.refused) {
      for (const id of waiting.keys()) if (!planned(id)) waiting.delete(id);
      if (waiting.size === 0) this.refused.delete(origin);
    }
  }
}
