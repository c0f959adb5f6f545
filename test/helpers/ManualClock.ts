import { abortError } from '../../src/errors/RepriseError.js';
import type { Clock } from '../../src/util/clock.js';

/**
 * A clock that only moves when the test says so. `advance(ms)` runs every sleep that falls due,
 * in order, letting promise callbacks settle between them, so scheduler timing is exact.
 */
export class ManualClock implements Clock {
  private t: number;
  private sleepers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(start = Date.UTC(2026, 10, 22, 8)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(abortError(signal));
      };
      // A sleep that falls due lets go of the signal: callers reuse one signal for many sleeps.
      const entry = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.t = Math.max(this.t, due.at);
      due.resolve();
    }
    this.t = target;
    await settle();
  }
}

/** Lets pending promise callbacks (and a turn of I/O) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
