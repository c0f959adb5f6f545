import { abortError } from '../errors/RepriseError.js';

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
  /** Asked to give the slot back for an urgent request; counted until it does. */
  preempted: boolean;
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
 * the preempted one has released its slot.
 */
export class RequestSlots {
  private readonly holders = new Set<Holder>();
  private waiters: Waiter[] = [];
  private seq = 0;
  /** Preemptions, over the slots' life (tests and benchmarks read it). */
  preemptions = 0;

  constructor(private limit: number) {}

  get open(): number {
    return this.holders.size;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.grant();
  }

  /** Waits for a slot; the returned function gives it back (once). */
  acquire(signal: AbortSignal, priority: () => number = () => 0, claim?: SlotClaim): Promise<() => void> {
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
          const holder: Holder = { priority, claim, preempted: false };
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
   * waiter is covered by a slot being given back. A download may hold several slots: stopping it
   * frees them all. Stopped after the choice: stopping a download aborts its own waiters, which
   * leave this queue.
   */
  private preemptForUrgent(): void {
    let needed = this.waiters.filter((w) => w.claim?.urgent()).length;
    if (needed === 0) return;
    for (const h of this.holders) if (h.preempted) needed--;
    const stop: SlotClaim[] = [];
    while (needed > 0) {
      let victim: Holder | undefined;
      for (const h of this.holders) if (!h.preempted && h.claim && !h.claim.urgent() && (!victim || h.priority() > victim.priority())) victim = h;
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
}
