import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/scheduler/TokenBucket.js';
import { ManualClock, settle } from '../../helpers/ManualClock.js';

const KB = 1000;

/** Starts `take`s in order and records the order in which they are granted. */
function track(bucket: TokenBucket, takes: { name: string; bytes: number; priority?: number; signal?: AbortSignal }[]) {
  const granted: string[] = [];
  const settled = takes.map((t) =>
    bucket.take(t.bytes, t.signal, () => t.priority ?? 0).then(
      () => void granted.push(t.name),
      (e: Error) => void granted.push(`${t.name}:${e.name}`),
    ),
  );
  return { granted, all: Promise.all(settled) };
}

describe('TokenBucket', () => {
  it.each([
    // [what, rate (B/s), capacity, bytes per take, takes, ms advanced, granted after]
    ['starts 50 ms of the rate short of full: nothing at once', 10 * KB, 10 * KB, 10 * KB, 3, 0, 0],
    ['the first take waits at most 50 ms', 10 * KB, 10 * KB, 10 * KB, 3, 50, 1],
    ['then one chunk per chunk/rate', 10 * KB, 10 * KB, 10 * KB, 3, 2000, 2],
    ['from the start, at most rate × T + one bucket − 50 ms of the rate over the first T', 10 * KB, 10 * KB, 5 * KB, 10, 2000, 5],
    ['a bucket smaller than 50 ms of the rate starts empty', 1000 * KB, 10 * KB, 10 * KB, 3, 10, 1],
    ['a take larger than the bucket waits for a full bucket, then goes into debt', 10 * KB, 5 * KB, 20 * KB, 2, 500, 1],
    ['debt is repaid before the next take', 10 * KB, 5 * KB, 20 * KB, 2, 2500, 2],
    ['unlimited never waits', Infinity, 10 * KB, 10 * KB, 50, 0, 50],
  ])('%s', async (_what, rate, capacity, bytes, takes, advance, expected) => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, rate, capacity);
    const { granted } = track(bucket, Array.from({ length: takes }, (_, i) => ({ name: `t${i}`, bytes })));
    await clock.advance(advance);
    expect(granted.length).toBe(expected);
  });

  it.each([
    ['capped → unlimited releases every waiter', 1 * KB, Infinity, 20],
    ['capped → faster pays the waiters at the new rate', 1 * KB, 100 * KB, 10],
    ['unlimited → capped: an empty bucket (requests asked just before may still be on their way), then the new rate', Infinity, 10 * KB, 1],
  ])('rate change while requests wait: %s', async (_what, before, after, expected) => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, before, 10 * KB);
    if (!Number.isFinite(before)) {
      await bucket.take(10 * KB); // drains nothing: unlimited
      bucket.setRate(after);
    }
    const { granted } = track(bucket, Array.from({ length: 20 }, (_, i) => ({ name: `t${i}`, bytes: 10 * KB })));
    if (Number.isFinite(before)) {
      await settle();
      bucket.setRate(after);
    }
    await clock.advance(1000);
    expect(granted.length).toBe(Math.min(20, expected));
  });

  it('after a second without a take (a new sync, a resume), the next take starts 50 ms short of full again, not from the full bucket', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 10 * KB, 10 * KB);
    await clock.advance(5000); // idle: the bucket refilled to full
    const { granted } = track(bucket, [{ name: 'first', bytes: 10 * KB }]);
    await clock.advance(49);
    expect(granted).toEqual([]);
    await clock.advance(1);
    expect(granted).toEqual(['first']);
    // Within a second of that grant, a take is a running download's: the tokens it saved count.
    await clock.advance(900);
    const { granted: next } = track(bucket, [{ name: 'next', bytes: 9 * KB }]);
    await clock.advance(0);
    expect(next).toEqual(['next']);
  });

  it('serves waiters by priority, then in arrival order', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 10 * KB, 10 * KB);
    const { granted, all } = track(bucket, [
      { name: 'late-a', bytes: 10 * KB, priority: 5 },
      { name: 'urgent', bytes: 10 * KB, priority: -1 },
      { name: 'late-b', bytes: 10 * KB, priority: 5 },
      { name: 'first', bytes: 10 * KB, priority: 0 },
    ]);
    await clock.advance(4000);
    await all;
    expect(granted).toEqual(['urgent', 'first', 'late-a', 'late-b']);
  });

  it('an aborted take rejects with "aborted" and leaves the others their turn', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 10 * KB, 10 * KB);
    const stop = new AbortController();
    const { granted, all } = track(bucket, [
      { name: 'a', bytes: 10 * KB },
      { name: 'b', bytes: 10 * KB, signal: stop.signal },
      { name: 'c', bytes: 10 * KB },
    ]);
    await settle();
    stop.abort();
    await clock.advance(2000);
    await all;
    expect(granted).toEqual(['b:aborted', 'a', 'c']);
    expect(bucket.waiting).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener from the signal when a waiting take is granted (no leak over 200 takes)', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 100 * KB, 10 * KB);
    const signal = new AbortController().signal;
    let most = 0;
    for (let i = 0; i < 200; i++) {
      const granted = bucket.take(10 * KB, signal);
      most = Math.max(most, getEventListeners(signal, 'abort').length);
      await clock.advance(100);
      await granted;
    }
    expect(most).toBeGreaterThan(0); // takes did wait with a listener …
    expect(getEventListeners(signal, 'abort')).toHaveLength(0); // … and took it away again
  });
});
