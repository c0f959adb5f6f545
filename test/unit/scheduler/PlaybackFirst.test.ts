// Issue 18, time to first audio: while a listener starts a track, the downloads that are not for
// it send no new request and write nothing (the device's cores and IndexedDB serve the play);
// a request open is read to its end (it holds a slot) and its chunks are written once the hold
// ends; the played track's chunks a reader waits for go at once. Exact on an injected clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLAYBACK_FIRST_MS, PlaybackFirst } from '../../../src/scheduler/PlaybackFirst.js';
import { ManualClock } from '../../helpers/ManualClock.js';
import { CHUNK } from '../../helpers/catalog.js';
import { TestOrigin } from '../../helpers/origin.js';
import { originScheduler } from '../../helpers/originScheduler.js';
import { until } from '../../helpers/wait.js';

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('PlaybackFirst', () => {
  it('a hold makes background work wait until it ends; a later hold extends it; nothing waits without one', async () => {
    const clock = new ManualClock();
    const first = new PlaybackFirst(clock);
    const never = new AbortController().signal;
    expect(first.yield(() => false, never)).toBeUndefined(); // no hold: no await at all
    first.hold(500);
    const waiting = first.yield(() => false);
    expect(waiting).toBeInstanceOf(Promise);
    let ended = false;
    void waiting!.then(() => (ended = true));
    await clock.advance(300);
    first.hold(500); // a seek 300 ms in: the hold now ends at 800
    await clock.advance(400);
    await settle();
    expect(ended).toBe(false);
    await clock.advance(100);
    await settle();
    expect(ended).toBe(true);
    expect(first.holding).toBe(false);
    expect(first.yield(() => false, never)).toBeUndefined();
    expect(PLAYBACK_FIRST_MS).toBe(500);
  });

  it('a waiter that becomes exempt (its track is now played) goes on at wake(); an aborted one at once; release() ends every hold', async () => {
    const clock = new ManualClock();
    const first = new PlaybackFirst(clock);
    first.hold(500);
    let exempt = false;
    const ended: string[] = [];
    void first.yield(() => exempt)!.then(() => ended.push('made urgent'));
    const stop = new AbortController();
    void first.yield(() => false, stop.signal)!.then(() => ended.push('aborted'));
    void first.yield(() => false)!.then(() => ended.push('background'));
    expect(first.yield(() => true)).toBeUndefined(); // exempt from the start
    exempt = true;
    first.wake();
    stop.abort();
    await settle();
    expect(ended).toEqual(['made urgent', 'aborted']);
    first.release();
    await settle();
    expect(ended).toEqual(['made urgent', 'aborted', 'background']);
    expect(first.holding).toBe(false);
  });
});

let origin: TestOrigin;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(() => origin.close());

const harness = (clock: ManualClock, awaited: (digest: string) => boolean = () => false, maxConcurrent = 2) => originScheduler(origin, { clock, awaited, maxConcurrent });

const requestsFor = (id: string) => origin.requestsFor(`/media/${id}.mp3`);

describe('the scheduler during a playback hold', () => {
  it('a background download sends no request until the hold ends, then fetches everything once', async () => {
    const clock = new ManualClock();
    const { scheduler, stored, job } = harness(clock);
    scheduler.playbackFirst.hold(PLAYBACK_FIRST_MS);
    scheduler.setPlan([job('a', 6)]);
    await new Promise((r) => setTimeout(r, 150));
    expect(requestsFor('a')).toEqual([]);
    expect(scheduler.state().state).toBe('downloading'); // running, held at its first request
    await clock.advance(PLAYBACK_FIRST_MS);
    await until(() => stored.get('a')!.size === 6, 5000, 'a stored');
    expect(origin.chunksAsked('/media/a.mp3', CHUNK).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a request open when the hold begins is read to its end; its chunks are written only when the hold ends', async () => {
    const clock = new ManualClock();
    const { scheduler, stored, job, bodies } = harness(clock);
    origin.pace = { bytes: 16 * 1024, everyMs: 10 };
    scheduler.setPlan([job('a', 2)]);
    await until(() => requestsFor('a').length === 1 && requestsFor('a')[0]!.bytes > 0, 5000, 'a flowing');
    scheduler.playbackFirst.hold(PLAYBACK_FIRST_MS);
    await until(() => requestsFor('a')[0]!.bytes === bodies.get('a')!.length, 5000, 'the body sent');
    await new Promise((r) => setTimeout(r, 100)); // read and verified by now
    expect(stored.get('a')!.size).toBe(0);
    await clock.advance(PLAYBACK_FIRST_MS);
    await until(() => stored.get('a')!.size === 2, 5000, 'written after the hold');
    expect(requestsFor('a')).toHaveLength(1); // nothing fetched twice
  });

  it('a request that was waiting for a slot when the hold began does not go when a slot frees during the hold', async () => {
    const clock = new ManualClock();
    const { scheduler, stored, job } = harness(clock, () => false, 1);
    origin.pace = { bytes: 16 * 1024, everyMs: 10 };
    scheduler.setPlan([job('a', 8)]); // two requests of four chunks; one slot
    await until(() => requestsFor('a').length === 1 && requestsFor('a')[0]!.bytes > 0, 5000, 'the first request flowing');
    scheduler.playbackFirst.hold(PLAYBACK_FIRST_MS);
    await until(() => stored.get('a')!.size === 0 && requestsFor('a')[0]!.bytes === 4 * CHUNK, 5000, 'the first request read');
    await new Promise((r) => setTimeout(r, 150)); // its slot is free by now
    expect(requestsFor('a')).toHaveLength(1);
    await clock.advance(PLAYBACK_FIRST_MS);
    await until(() => stored.get('a')!.size === 8, 5000, 'a stored');
    expect(origin.chunksAsked('/media/a.mp3', CHUNK).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("the played track: its request for a chunk a reader waits for goes at once, its other requests after the hold", async () => {
    const clock = new ManualClock();
    const waitedFor = new Set<string>();
    const { scheduler, stored, job } = harness(clock, (d) => waitedFor.has(d));
    const u = job('u', 8, 4);
    const digests = u.request()!.digests;
    scheduler.playbackFirst.hold(PLAYBACK_FIRST_MS);
    scheduler.setPlan([job('a', 4), u]);
    scheduler.prioritize('u');
    await new Promise((r) => setTimeout(r, 100));
    expect(requestsFor('u')).toEqual([]); // played, but no reader waits for a chunk yet: held too
    waitedFor.add(digests[5]!); // the reader's request starts in chunk 5
    scheduler.playbackFirst.wake(); // as the engine does when it is asked for a chunk
    // One request of four chunks (the uncapped size) holds the chunk waited for; it is fetched and written during the hold.
    await until(() => stored.get('u')!.has(5), 5000, 'the chunk waited for');
    expect(requestsFor('a')).toEqual([]);
    expect(origin.chunksAsked('/media/u.mp3', CHUNK)).toEqual([4, 5, 6, 7]);
    await new Promise((r) => setTimeout(r, 100));
    expect(origin.chunksAsked('/media/u.mp3', CHUNK)).toEqual([4, 5, 6, 7]); // chunks 0-3: no reader waits for them yet
    await clock.advance(PLAYBACK_FIRST_MS);
    await until(() => stored.get('u')!.size === 8 && stored.get('a')!.size === 4, 5000, 'the rest after the hold');
    expect(origin.chunksAsked('/media/u.mp3', CHUNK).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
