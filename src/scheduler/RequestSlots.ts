import { CLOSE_GRACE_MS } from '../downloader/fetchPiece.js';
import { abortError } from '../errors/RepriseError.js';
import { type Clock, systemClock } from '../util/clock.js';

/**
 * Past its estimate, how much longer a background request about to end is waited for before it is
 * cut after all (an estimate made on a few pieces of a body can be short).
 */
export const ENDING_MARGIN_MS = 10;

/**
 * What a request says about itself when it asks for a slot: whether the listener is waiting for
 * it now (it may take the slot of one that is not), and how to make it give its slot back.
 */
export interface SlotClaim {
  /** Evaluated when it matters: a download becomes urgent while it waits or runs. */
  urgent(): boolean;
  /** Stops the download that holds the slot (it is queued again and keeps its committed chunks). */
  preempt(): void;
}

interface Waiter {
  priority: () => number;
  claim: SlotClaim | undefined;
  seq: number;
  grant: () => void;
}

interface Holder {
  priority: () => number;
  claim: SlotClaim | undefined;
  /** Milliseconds until its body should end (undefined: not known yet). */
  eta: (() => number | undefined) | undefined;
  /** Asked to give the slot back for an urgent request; counted until it does. */
  preempted: boolean;
  /** Let end for an urgent request, by this time (the slots' clock); cut if it still holds then. */
  endsBy?: number;
}

/**
 * Requests open at the origin, at most `limit` at once over every download of one engine
 * (DESIGN.md "Throttled resync": `maxConcurrent`). A download pipelines its requests, so it may
 * hold more than one slot; waiters are served by priority (lower first), then in arrival order.
 *
 * A waiter whose claim is urgent (a chunk the listener is waiting for) does not wait for a
 * background request to end: the least urgent holder that is not urgent is preempted (its
 * download stops, cancelling its requests) and the slot it gives back goes to the urgent waiter,
 * which is first by priority. The limit is never exceeded: the urgent request starts only once
 * the preempted one has released its slot. A request cut short keeps its slot for the close
 * grace (fetchPiece's CLOSE_GRACE_MS) after its cancel settled, so a background request whose
 * body should end sooner than that is let end instead (its `eta`): the urgent request has the
 * slot sooner, and none of the background bytes are thrown away. It is cut after all if it has
 * not ended {@link ENDING_MARGIN_MS} past its estimate.
 */
export class RequestSlots {
  private readonly holders = new Set<Holder>();
  private waiters: Waiter[] = [];
  private seq = 0;
  /** Preemptions, over the slots' life (tests and benchmarks read it). */
  preemptions = 0;
  /** Wakes the urgent waiters when a request let end should have (then it is cut if it has not). */
  private recheck: AbortController | undefined;
  private recheckAt = Infinity;

  constructor(
    private limit: number,
    /** Real time by default: the estimates are the link's pace. */
    private readonly clock: Clock = systemClock,
  ) {}

  get open(): number {
    return this.holders.size;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.grant();
  }

  /** Waits for a slot; the returned function gives it back (once). */
  acquire(signal: AbortSignal, priority: () => number = () => 0, claim?: SlotClaim, eta?: () => number | undefined): Promise<() => void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        priority,
        claim,
        seq: this.seq++,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          const holder: Holder = { priority, claim, eta, preempted: false };
          this.holders.add(holder);
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.holders.delete(holder);
            this.grant();
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.grant();
    });
  }

  /** The engine closes: a look at the waiters still due is not taken. */
  close(): void {
    this.recheck?.abort();
    this.recheck = undefined;
    this.recheckAt = Infinity;
  }

  /** Re-checks the waiters (one became urgent): an urgent one preempts a background holder. */
  poke(): void {
    this.grant();
  }

  private grant(): void {
    if (this.waiters.length === 0) return;
    this.waiters.sort((a, b) => a.priority() - b.priority() || a.seq - b.seq);
    while (this.holders.size < this.limit && this.waiters.length > 0) this.waiters.shift()!.grant();
    this.preemptForUrgent();
  }

  /**
   * Background downloads asked to give their slots back, least urgent first, until every urgent
   * waiter is covered by a slot being given back or by a background request about to end. A
   * download may hold several slots: stopping it frees them all. Stopped after the choice:
   * stopping a download aborts its own waiters, which leave this queue.
   */
  private preemptForUrgent(): void {
    let needed = this.waiters.filter((w) => w.claim?.urgent()).length;
    if (needed === 0) return;
    const now = this.clock.now();
    const soon: Holder[] = [];
    for (const h of this.holders) {
      if (h.preempted) needed--;
      else if (h.claim && !h.claim.urgent() && this.endsSoon(h, now)) soon.push(h);
    }
    // The soonest to end, one for each urgent waiter not covered yet; looked at again when the
    // first of them should have ended.
    const ending = new Set(soon.sort((a, b) => a.endsBy! - b.endsBy!).slice(0, Math.max(0, needed)));
    needed -= ending.size;
    if (ending.size > 0) this.wakeAt(Math.min(...[...ending].map((h) => h.endsBy!)));
    const stop: SlotClaim[] = [];
    while (needed > 0) {
      let victim: Holder | undefined;
      for (const h of this.holders) if (!h.preempted && !ending.has(h) && h.claim && !h.claim.urgent() && (!victim || h.priority() > victim.priority())) victim = h;
      if (!victim) break;
      const claim = victim.claim!;
      for (const h of this.holders) {
        if (h.claim !== claim) continue;
        h.preempted = true;
        needed--;
      }
      stop.push(claim);
    }
    this.preemptions += stop.length;
    for (const claim of stop) claim.preempt();
  }

  /**
   * True while a holder is let end for an urgent request: its body should end within the close
   * grace (the first time it is asked), and its time (estimate + margin) has not run out.
   */
  private endsSoon(h: Holder, now: number): boolean {
    if (h.endsBy === undefined) {
      const eta = h.eta?.();
      if (eta === undefined || eta > CLOSE_GRACE_MS) return false;
      h.endsBy = now + eta + ENDING_MARGIN_MS;
    }
    return now < h.endsBy;
  }

  /** Looks at the urgent waiters again at `at` (a request let end that has not may be cut then). */
  private wakeAt(at: number): void {
    if (this.recheck && this.recheckAt <= at) return;
    this.recheck?.abort();
    const timer = (this.recheck = new AbortController());
    this.recheckAt = at;
    this.clock.sleep(Math.max(1, at - this.clock.now()), timer.signal).then(
      () => {
        if (this.recheck !== timer) return;
        this.recheck = undefined;
        this.recheckAt = Infinity;
        this.grant();
      },
      () => {},
    );
  }
}
