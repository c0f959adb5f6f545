// Issue 18, time to first audio: a track the listener waits for does not wait for background
// requests to end. Its download starts at once and its first request takes the request slot of
// the least urgent background download (which yields and keeps its chunks), ahead of the
// background pieces already queued for a slot; the cap (maxConcurrent) holds throughout.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/util/clock.js';
import { ManualClock } from '../../helpers/ManualClock.js';
import { CHUNK } from '../../helpers/catalog.js';
import { TestOrigin } from '../../helpers/origin.js';
import { originScheduler } from '../../helpers/originScheduler.js';
import { until } from '../../helpers/wait.js';

let origin: TestOrigin;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(() => origin.close());

const harness = (maxConcurrent: number, clock?: Clock) => originScheduler(origin, { maxConcurrent, ...(clock ? { clock } : {}) });

const media = () => origin.log.filter((r) => r.path.startsWith('/media/'));

describe('an urgent track pre-empts background requests', () => {
  it('its first request goes out as soon as one background download yields its slot, ahead of queued background pieces; the cap holds', async () => {
    // Slow enough that no background request ends during the test's first steps.
    origin.pace = { bytes: 16 * 1024, everyMs: 50 };
    const { scheduler, stored, completed, job } = harness(2);
    scheduler.setPlan([job('a', 8), job('b', 8), job('u', 2)]);
    // a and b each hold one slot; once their bodies flow (the origin honours Range) each has a
    // second piece queued for a slot.
    await until(() => media().length === 2 && media().every((r) => r.bytes >= 32 * 1024), 5000, 'two background bodies flowing');
    expect(scheduler.isActive('u')).toBe(false);
    const before = media().length;
    scheduler.prioritize('u');
    expect(scheduler.isActive('u')).toBe(true); // started at once, not after a download place freed
    await until(() => origin.requestsFor('/media/u.mp3').length > 0, 5000, 'the urgent request');
    // The next request the origin saw is the urgent one: the slot b gave back did not go to a's queued piece.
    expect(media()[before]!.path).toBe('/media/u.mp3');
    expect(stored.get('a')!.size + stored.get('b')!.size).toBeLessThan(8); // the background was still running
    origin.pace = undefined;
    await scheduler.idle();
    expect(completed[0]).toBe('u');
    expect(completed.sort()).toEqual(['a', 'b', 'u']);
    expect(origin.maxMediaInFlight).toBeLessThanOrEqual(2);
    expect(scheduler.stats.maxInFlight).toBeLessThanOrEqual(2);
    // The yielding download kept its chunks: nothing committed was asked twice (at most the pieces open when it yielded).
    for (const id of ['a', 'b']) expect([...stored.get(id)!].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    scheduler.close();
  });

  it('a background request about to end is not cut: the urgent request takes its slot when it ends, and no byte of it is fetched twice', async () => {
    // 0.8 MB/s: a's one request (4 chunks, 256 KiB) takes ~320 ms; cut short, its slot would be
    // kept 50 ms (CLOSE_GRACE_MS) and its last chunk asked for again.
    origin.pace = { bytes: 8 * 1024, everyMs: 10 };
    const { scheduler, stored, completed, job } = harness(1);
    scheduler.setPlan([job('a', 4), job('u', 2)]);
    // Two pieces (16 KiB, ~20 ms at this pace) from its end.
    await until(() => (origin.requestsFor('/media/a.mp3')[0]?.bytes ?? 0) >= 4 * CHUNK - 16 * 1024, 5000, 'a nearly done');
    scheduler.prioritize('u');
    await until(() => origin.requestsFor('/media/u.mp3').length > 0, 5000, 'the urgent request');
    // a's body was sent to its end before u went out (its last chunk may still be hashing and
    // storing: the slot is given back when the body ends, not when the store commits).
    expect(origin.requestsFor('/media/a.mp3')[0]!.bytes).toBe(4 * CHUNK);
    origin.pace = undefined;
    await scheduler.idle();
    expect(completed).toEqual(['a', 'u']);
    expect(origin.requestsFor('/media/a.mp3').map((r) => r.bytes)).toEqual([4 * CHUNK]); // one request, read to its end
    expect(scheduler.stats.requests).toBe(2);
    scheduler.close();
  });

  it('a running download that becomes urgent writes the chunks it holds for a batch at once (a reader waits for them)', async () => {
    // The batch timer never fires on this clock: without prioritize() chunk 0 would wait for more chunks.
    const clock = new ManualClock();
    origin.pace = { bytes: CHUNK / 4, everyMs: 60 };
    const { scheduler, stored, job } = harness(1, clock);
    scheduler.setPlan([job('t', 3)]);
    // Chunk 0 has arrived (and is verified by now); chunk 1 is still far from complete.
    await until(() => (origin.requestsFor('/media/t.mp3')[0]?.bytes ?? 0) >= CHUNK + CHUNK / 4, 5000, 'chunk 0 delivered');
    await new Promise((r) => setTimeout(r, 30)); // hashed meanwhile
    expect(stored.get('t')!.size).toBe(0); // held for a batch
    scheduler.prioritize('t');
    await until(() => stored.get('t')!.has(0), 1000, 'chunk 0 written');
    expect(stored.get('t')!.has(1)).toBe(false); // written on its own, before chunk 1 completed
    origin.pace = undefined;
    await scheduler.idle();
    expect([...stored.get('t')!].sort()).toEqual([0, 1, 2]);
    scheduler.close();
  });
});
