import { describe, expect, it } from 'vitest';
import { RequestSlots } from '../../../src/scheduler/RequestSlots.js';
import { settle } from '../../helpers/ManualClock.js';

describe('RequestSlots', () => {
  it('never more than the limit open; waiters served by priority, then arrival; a release is counted once', async () => {
    const slots = new RequestSlots(2);
    const signal = new AbortController().signal;
    const a = await slots.acquire(signal);
    const b = await slots.acquire(signal);
    const granted: string[] = [];
    void slots.acquire(signal, () => 5).then(() => granted.push('late'));
    void slots.acquire(signal, () => 1).then(() => granted.push('urgent'));
    await settle();
    expect([slots.open, granted]).toEqual([2, []]);
    a();
    a(); // twice: one slot
    await settle();
    expect([slots.open, granted]).toEqual([2, ['urgent']]);
    b();
    await settle();
    expect(granted).toEqual(['urgent', 'late']);
  });

  it('an aborted waiter leaves the queue; a raised limit grants at once', async () => {
    const slots = new RequestSlots(1);
    const held = await slots.acquire(new AbortController().signal);
    const stop = new AbortController();
    const aborted = slots.acquire(stop.signal);
    stop.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'aborted' });
    let second = false;
    void slots.acquire(new AbortController().signal).then(() => (second = true));
    slots.setLimit(2);
    await settle();
    expect([second, slots.open]).toEqual([true, 2]);
    held();
  });
});
