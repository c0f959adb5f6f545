import { describe, expect, it } from 'vitest';
import { IdleSignal } from '../../../src/scheduler/IdleSignal.js';

describe('IdleSignal', () => {
  it('resolves at once when idle; otherwise holds every waiter until notify() finds the queue idle, then releases them all once', async () => {
    let idle = true;
    const signal = new IdleSignal(() => idle);
    await signal.wait(); // idle now: no wait
    idle = false;
    const released: number[] = [];
    const a = signal.wait().then(() => released.push(1));
    const b = signal.wait().then(() => released.push(2));
    signal.notify(); // not idle yet: nobody goes
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual([]);
    idle = true;
    signal.notify();
    await Promise.all([a, b]);
    expect(released).toEqual([1, 2]);
    signal.notify(); // released once: nothing left to release
    expect(released).toEqual([1, 2]);
  });
});
