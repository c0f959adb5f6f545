import { describe, expect, it } from 'vitest';
import { RequestSlots } from '../../../src/scheduler/RequestSlots.js';
import { CLOSE_GRACE_MS } from '../../../src/downloader/fetchPiece.js';
import { ENDING_MARGIN_MS } from '../../../src/scheduler/RequestSlots.js';
import { ManualClock, settle } from '../../helpers/ManualClock.js';

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

  it('an urgent request takes the slot of the least urgent background request, which is stopped; the limit holds meanwhile', async () => {
    const slots = new RequestSlots(2);
    const signal = new AbortController().signal;
    const stopped: string[] = [];
    const claim = (name: string, urgent = false) => ({ urgent: () => urgent, preempt: () => void stopped.push(name) });
    await slots.acquire(signal, () => 1, claim('a'));
    const b = await slots.acquire(signal, () => 2, claim('b'));
    const granted: string[] = [];
    void slots.acquire(signal, () => 3, claim('c')).then(() => granted.push('c')); // background, queued first
    void slots.acquire(signal, () => -1, claim('u', true)).then(() => granted.push('u'));
    await settle();
    expect(stopped).toEqual(['b']); // the least urgent holder, not the one waiting
    expect([slots.open, granted]).toEqual([2, []]); // not sent before b gave its slot back
    b();
    await settle();
    expect([slots.open, granted, slots.preemptions]).toEqual([2, ['u'], 1]); // b's slot went to the urgent request
  });

  it('urgent holders are never preempted; a download holding two slots is stopped once and frees both', async () => {
    const slots = new RequestSlots(3);
    const signal = new AbortController().signal;
    const stopped: string[] = [];
    const urgentHolder = { urgent: () => true, preempt: () => void stopped.push('playing') };
    const twoSlots = { urgent: () => false, preempt: () => void stopped.push('background') };
    await slots.acquire(signal, () => -1, urgentHolder);
    const first = await slots.acquire(signal, () => 4, twoSlots);
    const second = await slots.acquire(signal, () => 4, twoSlots);
    const granted: string[] = [];
    for (const name of ['u1', 'u2']) void slots.acquire(signal, () => -2, { urgent: () => true, preempt: () => void stopped.push(name) }).then(() => granted.push(name));
    await settle();
    expect(stopped).toEqual(['background']);
    first();
    second();
    await settle();
    expect([granted, slots.open]).toEqual([['u1', 'u2'], 3]);
    // A third urgent request finds only urgent holders: it waits, nobody is stopped.
    void slots.acquire(signal, () => -3, { urgent: () => true, preempt: () => {} });
    await settle();
    expect([stopped, slots.preemptions]).toEqual([['background'], 1]);
  });

  it('a waiter that becomes urgent preempts once poked', async () => {
    const slots = new RequestSlots(1);
    const signal = new AbortController().signal;
    let stopped = 0;
    const held = await slots.acquire(signal, () => 1, { urgent: () => false, preempt: () => void stopped++ });
    let urgent = false;
    let granted = false;
    void slots.acquire(signal, () => (urgent ? -1 : 2), { urgent: () => urgent, preempt: () => {} }).then(() => (granted = true));
    await settle();
    expect(stopped).toBe(0);
    urgent = true;
    slots.poke();
    expect(stopped).toBe(1);
    held();
    await settle();
    expect(granted).toBe(true);
  });

  it('a background request about to end is let end for an urgent one, and cut if it has not ended past its estimate; one far from its end or not answered yet is cut at once', async () => {
    const clock = new ManualClock();
    const slots = new RequestSlots(1, clock);
    const signal = new AbortController().signal;
    const stopped: string[] = [];
    const background = (name: string) => ({ urgent: () => false, preempt: () => void stopped.push(name) });
    const urgent = { urgent: () => true, preempt: () => {} };
    const granted: number[] = [];

    // Ends within the close grace: let end; its release hands the slot over, nobody was stopped.
    const ending = await slots.acquire(signal, () => 1, background('ending'), () => CLOSE_GRACE_MS - 10);
    void slots.acquire(signal, () => -1, urgent).then((release) => (granted.push(clock.now()), release));
    await settle();
    expect([stopped, granted]).toEqual([[], []]);
    await clock.advance(CLOSE_GRACE_MS - 20);
    expect(stopped).toEqual([]);
    ending();
    await settle();
    expect([stopped, granted.length, slots.preemptions]).toEqual([[], 1, 0]);

    // Said it would end and did not: cut once its estimate and the margin have passed.
    const b = new RequestSlots(1, clock);
    let late = 0;
    const lateRelease = await b.acquire(signal, () => 1, { urgent: () => false, preempt: () => void late++ }, () => 20);
    void b.acquire(signal, () => -1, urgent);
    await clock.advance(20 + ENDING_MARGIN_MS - 1);
    expect(late).toBe(0);
    await clock.advance(1);
    expect([late, b.preemptions]).toEqual([1, 1]);
    lateRelease();

    // Far from its end, or no byte of its answer yet: cut at once, as before.
    for (const eta of [() => CLOSE_GRACE_MS + 1, () => undefined]) {
      const c = new RequestSlots(1, clock);
      let cut = 0;
      await c.acquire(signal, () => 1, { urgent: () => false, preempt: () => void cut++ }, eta);
      void c.acquire(signal, () => -1, urgent);
      await settle();
      expect(cut).toBe(1);
    }
  });
});
