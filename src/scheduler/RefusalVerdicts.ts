import { type ProbeVerdict, probeAuthorization } from '../downloader/probeAuthorization.js';
import { RepriseError } from '../errors/RepriseError.js';
import { RefusedTracks } from './RefusedTracks.js';
import type { RequestSlots } from './RequestSlots.js';
import type { SchedulerHooks } from './SchedulerHooks.js';
import type { SchedulerJob } from './SchedulerJob.js';
import type { TokenBucket } from './TokenBucket.js';

/** What the verdicts need of the scheduler. */
export interface VerdictHost {
  readonly hooks: SchedulerHooks;
  readonly slots: RequestSlots;
  readonly bucket: TokenBucket;
  /** A job of `origin` not waiting aside will still send a request (queued, or running with requests to send). */
  asks(origin: string, aside: (trackId: string) => boolean): boolean;
  /** Ends a refused track (queued or running) with `error`. */
  end(job: SchedulerJob, error: RepriseError): void;
  /** Pauses the queue `unauthorized`. */
  pauseSession(): void;
  /** Re-evaluates what can start. */
  schedule(): void;
}

/**
 * Whether a 401/403 (after `authorize` was asked again) is a track's or the session's
 * (docs/authenticated-media.md "A region lock or the session"): the refused track waits aside
 * ({@link RefusedTracks}) until a request of another track of its origin, authorized after the
 * refusal, is accepted (the track ends `unauthorized` alone) or refused too; with no such request
 * left to send, one byte of another track the origin serves is asked. Without an `authorize` hook
 * a refusal pauses the queue at once.
 */
export class RefusalVerdicts {
  private readonly refused = new RefusedTracks();
  /** Origins being asked for one byte, and how to stop asking. */
  private readonly probing = new Map<string, AbortController>();

  constructor(private readonly host: VerdictHost) {}

  /** A request of `job` asks for its authorization now: `accepted` is called once its answer was accepted. */
  request(job: SchedulerJob): { number: number; accepted(): void } {
    const number = this.refused.nextRequest();
    return { number, accepted: () => this.accepted(job.origin, job.trackId, number) };
  }

  /**
   * `job` was refused after its request number `lastRequest`. Returns true when the track ended
   * (a region lock: refused while the origin accepts others), false when it is to be queued again
   * (waiting aside, or the queue paused for the session).
   */
  refuse(job: SchedulerJob, error: RepriseError, lastRequest: number): boolean {
    const verdict = this.host.hooks.authorize ? this.refused.refuse(job, error, lastRequest) : 'session';
    if (verdict === 'track') {
      this.host.end(job, regionLock(job, error));
      return true;
    }
    if (verdict === 'session') this.host.pauseSession();
    else this.host.hooks.onRefused?.(job, error);
    return false;
  }

  /** Waits aside for its verdict: not started again until then. */
  isAside(trackId: string): boolean {
    return this.refused.isAside(trackId);
  }

  /**
   * Refusals that no download of their origin is left to judge: one byte of another track is
   * asked there, or — no such track — the refusal is the session's and the queue pauses.
   */
  judgeUnasked(): void {
    const aside = (id: string) => this.refused.isAside(id);
    for (const origin of this.refused.origins()) {
      if (this.probing.has(origin) || this.host.asks(origin, aside)) continue;
      const target = this.host.hooks.authorize && this.host.hooks.probeTarget?.(origin, aside);
      if (!target) return this.host.pauseSession();
      this.probe(origin, target);
    }
  }

  /** Forgets tracks no longer planned. */
  retain(planned: (trackId: string) => boolean): void {
    this.refused.retain(planned);
  }

  /** The queue paused `unauthorized` (or closed): every track waiting aside is queued as any other. */
  clear(): void {
    this.refused.clear();
    for (const controller of this.probing.values()) controller.abort();
    this.probing.clear();
  }

  /**
   * Asks `origin` for the first byte of `target` within `maxConcurrent` and the cap: accepted, the
   * tracks refused there are refused for themselves; refused (or not asked: offline, an error
   * status), the refusal is the session's.
   */
  private probe(origin: string, target: { trackId: string; url: string }): void {
    const controller = new AbortController();
    this.probing.set(origin, controller);
    const number = this.refused.nextRequest();
    const first = () => Number.MIN_SAFE_INTEGER;
    const ask = async (): Promise<ProbeVerdict> => {
      const release = await this.host.slots.acquire(controller.signal, first);
      try {
        await this.host.bucket.take(1, controller.signal, first);
        return await probeAuthorization(target, this.host.hooks, controller.signal);
      } finally {
        release();
      }
    };
    void ask()
      .catch((): ProbeVerdict => 'failed')
      .then((verdict) => {
        if (this.probing.get(origin) !== controller) return; // cleared meanwhile
        this.probing.delete(origin);
        if (verdict === 'accepted') this.accepted(origin, target.trackId, number);
        else if (this.refused.origins().includes(origin)) this.host.pauseSession();
        this.host.schedule();
      });
  }

  private accepted(origin: string, trackId: string, request: number): void {
    const settled = this.refused.acceptedAt(origin, trackId, request);
    for (const r of settled) this.host.end(r.job, regionLock(r.job, r.error));
    if (settled.length > 0) this.host.schedule();
  }
}

/** The error a region-locked track ends with (docs/authenticated-media.md). */
function regionLock(job: SchedulerJob, refusal: RepriseError): RepriseError {
  const status = typeof refusal.details.status === 'number' ? ` (${refusal.details.status})` : '';
  return new RepriseError(
    'unauthorized',
    `track "${job.trackId}": the origin refused it${status} while it served other tracks to requests authorized after that refusal, so the refusal is about this track (a region lock or an entitlement), not the session`,
    { ...refusal.details, trackId: job.trackId, regionLock: true },
    { hint: 'the other tracks go on; this one is tried again when it is played or a new manifest is accepted' },
  );
}
