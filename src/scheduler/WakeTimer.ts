import type { Clock } from '../util/clock.js';

/** One pending wake-up on the injected clock: setting a new one, or cancelling, drops the last. */
export class WakeTimer {
  private pending: AbortController | undefined;

  constructor(private readonly clock: Clock) {}

  /** Calls `fire` in `ms` (the clock's time), unless cancelled or set again first. */
  set(ms: number, fire: () => void): void {
    this.cancel();
    const pending = new AbortController();
    this.pending = pending;
    this.clock.sleep(ms, pending.signal).then(fire, () => {});
  }

  cancel(): void {
    this.pending?.abort();
    this.pending = undefined;
  }
}
