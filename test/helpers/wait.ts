import { ManualClock } from './ManualClock.js';

/** Polls (in real time) until `check` returns true; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Advances a manual clock in steps, giving real I/O (loopback sockets) a moment between steps,
 * until `check` holds or `maxMs` of manual time has passed. Returns the manual time it took.
 */
export async function advanceUntil(clock: ManualClock, check: () => boolean, { stepMs = 50, maxMs = 60_000, realMs = 3 } = {}): Promise<number> {
  const start = clock.now();
  while (!check()) {
    if (clock.now() - start > maxMs) throw new Error(`not reached within ${maxMs} ms of manual time`);
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, realMs));
  }
  return clock.now() - start;
}
