import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scheduler, type SchedulerJob } from '../../../src/scheduler/Scheduler.js';
import { systemClock } from '../../../src/util/clock.js';
import { CHUNK, bytesOf, chunkDigests } from '../../helpers/catalog.js';
import { ManualClock } from '../../helpers/ManualClock.js';
import { TestOrigin } from '../../helpers/origin.js';
import { originSchedulerHooks } from '../../helpers/originScheduler.js';
import { until } from '../../helpers/wait.js';

let origin: TestOrigin;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(() => origin.close());

/** A scheduler over the loopback origin with an in-memory store keyed by content. */
function harness(clock = systemClock as ManualClock | typeof systemClock) {
  const stored = new Map<string, Set<number>>();
  const completed: SchedulerJob[] = [];
  const scheduler = new Scheduler(
    originSchedulerHooks(origin, {
      clock,
      commit: async (trackId, chunks) => {
        for (const c of chunks) stored.get(trackId)!.add(c.index);
      },
      onComplete: (job) => void completed.push(job),
    }),
    { maxConcurrent: 1, bytesPerSecond: Infinity },
  );
  const job = (trackId: string, contentId: string, path: string, body: Buffer): SchedulerJob => {
    origin.put(path, body);
    const url = `${origin.url}${path}`;
    const chunks = Math.ceil(body.length / CHUNK);
    return {
      trackId,
      contentId,
      url,
      origin: origin.url,
      request: () => {
        const have = stored.get(trackId) ?? stored.set(trackId, new Set()).get(trackId)!;
        const missing = [...Array(chunks).keys()].filter((i) => !have.has(i));
        return missing.length ? { trackId, url, mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, digests: chunkDigests(body), missing } : undefined;
      },
      remainingBytes: () => body.length,
    };
  };
  return { scheduler, stored, completed, job };
}

describe('Scheduler', () => {
  it('a running job whose plan entry changed (re-published) is aborted; the new entry is fetched and reported', async () => {
    origin.pace = { bytes: 16 * 1024, everyMs: 20 };
    const { scheduler, stored, completed, job } = harness();
    const v1 = job('t', 'content-1', '/media/t-v1.mp3', bytesOf('v1', CHUNK * 8));
    scheduler.setPlan([v1]);
    await until(() => origin.requestsFor('/media/t-v1.mp3').length >= 1);
    stored.set('t', new Set()); // the re-published track: nothing stored of its new content yet
    const v2 = job('t', 'content-2', '/media/t-v2.mp3', bytesOf('v2', CHUNK * 2));
    scheduler.setPlan([v2]);
    await scheduler.idle();
    expect(origin.chunksAsked('/media/t-v2.mp3', CHUNK)).toEqual([0, 1]);
    expect(completed.map((j) => [j.trackId, j.contentId, j.url])).toEqual([['t', 'content-2', v2.url]]);
    expect(origin.bytesSent('/media/t-v1.mp3')).toBeLessThan(CHUNK * 8); // stopped
    scheduler.close();
  });

  it('a plan that keeps the same content and URL leaves the running job alone', async () => {
    origin.pace = { bytes: 16 * 1024, everyMs: 5 };
    const { scheduler, completed, job } = harness();
    const body = bytesOf('same', CHUNK * 4);
    scheduler.setPlan([job('t', 'c', '/media/t.mp3', body)]);
    await until(() => origin.requestsFor('/media/t.mp3').length >= 1);
    scheduler.setPlan([job('t', 'c', '/media/t.mp3', body)]); // a replan builds new job objects
    await scheduler.idle();
    expect(origin.chunksAsked('/media/t.mp3', CHUNK)).toEqual([0, 1, 2, 3]); // each chunk once: nothing restarted
    expect(completed.map((j) => j.trackId)).toEqual(['t']);
    scheduler.close();
  });

  it('prioritize() is forgotten when a plan drops the track: a later plan with it waits the reset window', async () => {
    const clock = new ManualClock();
    const { scheduler, job } = harness(clock);
    const t = job('t', 'c', '/media/t.mp3', bytesOf('t', CHUNK));
    scheduler.setPlan([t], { windowMs: 60_000 });
    scheduler.prioritize('t');
    scheduler.pause('user'); // nothing starts while the plans change
    await scheduler.idle();
    scheduler.setPlan([]);
    scheduler.setPlan([t], { windowMs: 60_000 });
    scheduler.resume('user');
    expect(scheduler.state()).toMatchObject({ state: 'waiting', reason: 'reset-window' });
    expect(scheduler.isActive('t')).toBe(false);
    scheduler.close();
  });
});
