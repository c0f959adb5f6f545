import { DEFAULT_BACKOFF } from '../../src/scheduler/backoff.js';
import { Scheduler, type SchedulerJob } from '../../src/scheduler/Scheduler.js';
import type { SchedulerHooks } from '../../src/scheduler/SchedulerHooks.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { CHUNK, bytesOf, chunkDigests } from './catalog.js';
import type { TestOrigin } from './origin.js';

export interface OriginSchedulerOptions {
  maxConcurrent?: number;
  clock?: Clock;
  /** The engine's `awaited` hook: a reader waits for this chunk (playback first). */
  awaited?: (digest: string) => boolean;
}

/**
 * The hooks of a Scheduler that fetches from a loopback origin (the test's fetch, a fixed random,
 * the default backoff, a download that fails fails the test): `commit` and `onComplete` are the
 * test's, anything else may be overridden.
 */
export function originSchedulerHooks(origin: TestOrigin, hooks: Pick<SchedulerHooks, 'commit' | 'onComplete'> & Partial<SchedulerHooks>): SchedulerHooks {
  return {
    fetch,
    clock: systemClock,
    random: () => 0.5,
    stallMs: 5000,
    backoff: DEFAULT_BACKOFF,
    chunkSize: CHUNK,
    allowedOrigins: new Set([origin.url]),
    onFailed: (job, error) => {
      throw new Error(`${job.trackId} failed: ${error.message}`);
    },
    onChange: () => {},
    ...hooks,
  };
}

/**
 * A Scheduler against a loopback origin with a store of chunk indices (`stored`): `job(id, n)`
 * publishes a track of `n` chunks there and returns its job; `from` makes its request start at
 * that chunk (as the planner does for a track being played), the rest after.
 */
export function originScheduler(origin: TestOrigin, { maxConcurrent = 2, clock = systemClock, awaited }: OriginSchedulerOptions = {}) {
  const stored = new Map<string, Set<number>>();
  const completed: string[] = [];
  const bodies = new Map<string, Buffer>();
  const scheduler = new Scheduler(
    originSchedulerHooks(origin, {
      clock,
      stallMs: 10_000,
      commit: async (trackId, chunks) => {
        for (const c of chunks) stored.get(trackId)!.add(c.index);
      },
      ...(awaited ? { awaited } : {}),
      onComplete: (job) => void completed.push(job.trackId),
    }),
    { maxConcurrent, bytesPerSecond: Infinity },
  );
  const job = (trackId: string, chunks: number, from = 0): SchedulerJob => {
    const body = bytesOf(trackId, CHUNK * chunks);
    bodies.set(trackId, body);
    const path = `/media/${trackId}.mp3`;
    origin.put(path, body);
    const url = `${origin.url}${path}`;
    stored.set(trackId, new Set());
    return {
      trackId,
      contentId: `content-${trackId}`,
      url,
      origin: origin.url,
      request: () => {
        const have = stored.get(trackId)!;
        const all = [...Array(chunks).keys()].filter((i) => !have.has(i));
        const missing = all.some((i) => i >= from) ? all.filter((i) => i >= from) : all;
        return missing.length ? { trackId, url, mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, digests: chunkDigests(body), missing } : undefined;
      },
      remainingBytes: () => body.length,
    };
  };
  return { scheduler, stored, completed, bodies, job };
}
