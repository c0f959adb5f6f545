import { abortError } from '../errors/RepriseError.js';

interface Waiter {
  priority: () => number;
  seq: number;
  grant: () => void;
}

/**
 * Requests open at the origin, at most `limit` at once over every download of one engine
 * (DESIGN.md "Throttled resync": `maxConcurrent`). A download pipelines its requests, so it may
 * hold more than one slot; waiters are served by priority (lower first), then in arrival order.
 */
export class RequestSlots {
  private used = 0;
  private waiters: Waiter[] = [];
  private seq = 0;

  constructor(private limit: number) {}

  get open(): number {
    return this.used;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.grant();
  }

  /** Waits for a slot; the returned function gives it back (once). */
  acquire(signal: AbortSignal, priority: () => number = () => 0): Promise<() => void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        priority,
        seq: this.seq++,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.used++;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.used--;
            this.grant();
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.grant();
    });
  }

  private grant(): void {
    if (this.used >= this.limit || this.waiters.length === 0) return;
    this.waiters.sort((a, b) => a.priority() - b.priority() || a.seq - b.seq);
    while (this.used < this.limit && this.waiters.length > 0) this.waiters.shift()!.grant();
  }
}
