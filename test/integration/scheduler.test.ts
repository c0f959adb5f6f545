import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheEngine, CacheEvents, EngineState, ProgressEvent } from '../../src/engine/index.js';
import { UNCAPPED_BUCKETS } from '../../src/scheduler/requestSize.js';
import { Scheduler } from '../../src/scheduler/Scheduler.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish, record } from '../helpers/catalog.js';
import { ManualClock, settle } from '../helpers/ManualClock.js';
import { TestOrigin } from '../helpers/origin.js';
import { originSchedulerHooks } from '../helpers/originScheduler.js';
import { simulateQuota } from '../helpers/quota.js';
import { advanceUntil, until } from '../helpers/wait.js';

type Engine = CacheEngine & { factory: IDBFactory };
let origin: TestOrigin;
let engine: Engine | undefined;
let clock: ManualClock;

const media = (o: TestOrigin) => o.log.filter((r) => r.path.startsWith('/media/'));
/** Media paths asked for, each once, in the order first asked (a download asks in pieces). */
const paths = (o: TestOrigin) => [...new Set(media(o).map((r) => r.path))];
const track = (id: string, chunks = 4) => ({ id, body: bytesOf(id, CHUNK * chunks) });

beforeEach(async () => {
  origin = await TestOrigin.start();
  clock = new ManualClock();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  vi.unstubAllGlobals();
  await origin.close();
});

async function setup(ids: string[], options: Parameters<typeof openEngine>[1] = {}, patch?: (m: Record<string, unknown>) => void) {
  await publish(origin, { tracks: ids.map((id) => track(id)), playlists: [{ id: 'p', trackIds: ids, offline: true }], patch });
  engine = await openEngine(origin, { clock, random: () => 0.5, ...options });
  return engine;
}

const states = (e: CacheEngine) => record<EngineState>(e, 'state');

/** `navigator.onLine` and the global online/offline events, as a browser's worker has them; `set` flips the link and fires the event. */
function stubConnectivity(onLine: boolean) {
  const target = new EventTarget();
  const nav = { onLine };
  vi.stubGlobal('navigator', nav);
  vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
  vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
  return {
    set(up: boolean) {
      nav.onLine = up;
      target.dispatchEvent(new Event(up ? 'online' : 'offline'));
    },
  };
}

describe('failures and retries', () => {
  it('429 with Retry-After in seconds pauses that origin for that long', async () => {
    let refused = 0;
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') && refused++ === 0 ? (res.writeHead(429, { 'retry-after': '120' }).end(), true) : false));
    const e = await setup(['t1', 't2'], { throttle: { maxConcurrent: 1 } });
    const seen = states(e);
    await e.sync();
    await until(() => media(origin).length === 1);
    await settle();
    expect(seen.at(-1)).toMatchObject({ state: 'waiting', reason: 'retry-after', until: clock.now() + 120_000 });
    await clock.advance(119_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(media(origin)).toHaveLength(1); // no request to the origin during the pause, not even for t2
    const waited = await advanceUntil(clock, () => media(origin).length >= 2, { stepMs: 250 });
    expect(waited).toBeLessThanOrEqual(1000);
    await advanceUntil(clock, () => paths(origin).includes('/media/t2.mp3'));
  });

  it('429 with Retry-After as an HTTP date', async () => {
    let refused = 0;
    origin.faults.push((req, res) =>
      req.url!.startsWith('/media/') && refused++ === 0 ? (res.writeHead(429, { 'retry-after': new Date(clock.now() + 30_000).toUTCString() }).end(), true) : false,
    );
    const e = await setup(['t1']);
    await e.sync();
    await until(() => media(origin).length === 1);
    await settle();
    expect((await e.status()).state).toMatchObject({ state: 'waiting', reason: 'retry-after' });
    const waited = await advanceUntil(clock, () => media(origin).length >= 2, { stepMs: 500 });
    expect(waited).toBeGreaterThanOrEqual(29_000); // HTTP dates have whole seconds
    expect(waited).toBeLessThanOrEqual(31_000);
  });

  it('503 with Retry-After pauses too; the track then completes', async () => {
    let refused = 0;
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') && refused++ < 2 ? (res.writeHead(503, { 'retry-after': '10' }).end(), true) : false));
    const e = await setup(['t1']);
    const done = record<{ trackId: string }>(e, 'track-complete');
    await e.sync();
    await advanceUntil(clock, () => done.length === 1, { stepMs: 500 });
    expect(clock.now() - new ManualClock().now()).toBeGreaterThanOrEqual(20_000);
  });

  it('reset connections back off exponentially with full jitter, then fail with a code', async () => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') ? (res.socket!.resetAndDestroy(), true) : false));
    const e = await setup(['t1'], { backoff: { baseMs: 1000, capMs: 5000, attempts: 5 } });
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    const waits: number[] = [];
    e.on('state', (s) => s.state === 'waiting' && s.reason === 'backoff' && waits.push(s.until - clock.now()));
    await e.sync();
    await advanceUntil(clock, () => failed.length === 1, { stepMs: 100 });
    // random() = 0.5: waits of 0.5·min(cap, base·2^(n-1)) after the n-th failure.
    expect(waits).toEqual([500, 1000, 2000, 2500]);
    expect(failed[0]).toMatchObject({ trackId: 't1', code: 'network' });
    expect(failed[0]!.message).toMatch(/gave up after 5 attempts/);
    expect(media(origin)).toHaveLength(5);
    expect((await e.status()).tracks[0]).toMatchObject({ state: 'failed', failure: { code: 'network' } });
  });

  it('a track that gave up on network errors is tried again on resume(), and its message gives the advice once', async () => {
    let down = true;
    origin.faults.push((req, res) => (down && req.url!.startsWith('/media/') ? (res.socket!.resetAndDestroy(), true) : false));
    const e = await setup(['t1', 't2'], { backoff: { baseMs: 1000, capMs: 5000, attempts: 3 } });
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    const complete = record<{ trackId: string }>(e, 'track-complete');
    await e.sync();
    await advanceUntil(clock, () => failed.length === 2, { stepMs: 100 });
    // A dead zone longer than the backoff: both gave up. The advice (the code's hint) once, after the cause.
    expect(failed[0]!.message.split('tries again when the browser is back online').length - 1).toBe(1);
    expect(failed[0]!.message).toMatch(/\(gave up after 3 attempts\) — the request failed or the device is offline/);
    expect((await e.status()).tracks.map((t) => t.state)).toEqual(['failed', 'failed']);
    down = false;
    await e.resume(); // the listener's "resume downloads" after the connection came back
    await e.idle();
    expect(complete.map((c) => c.trackId).sort()).toEqual(['t1', 't2']);
    expect((await e.status()).tracks.map((t) => [t.state, t.failure])).toEqual([['complete', undefined], ['complete', undefined]]);
  });

  it('a track that gave up on network errors is tried again when the browser is back online; other failures wait for a new manifest', async () => {
    const link = stubConnectivity(true);
    let down = true;
    origin.faults.push((req, res) => {
      if (req.url!.startsWith('/media/t2')) return (res.writeHead(404).end(), true); // gone for good
      return down && req.url!.startsWith('/media/') ? (res.socket!.resetAndDestroy(), true) : false;
    });
    const e = await setup(['t1', 't2'], { backoff: { baseMs: 1000, capMs: 5000, attempts: 3 } });
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    await e.sync();
    await advanceUntil(clock, () => failed.length === 2, { stepMs: 100 });
    expect(Object.fromEntries(failed.map((f) => [f.trackId, f.code]))).toEqual({ t1: 'network', t2: 'not-found' });
    // The browser noticed the outage after the retries had given up: offline, then online again.
    link.set(false);
    down = false;
    link.set(true);
    await e.idle();
    const tracks = Object.fromEntries((await e.status()).tracks.map((t) => [t.id, t.state]));
    expect(tracks).toEqual({ t1: 'complete', t2: 'failed' });
    expect(media(origin).filter((r) => r.path === '/media/t2.mp3')).toHaveLength(1); // a 404 is not asked again
  });

  it('a track waiting out its backoff tries at once when the browser is back online, or on resume()', async () => {
    const link = stubConnectivity(true);
    let resets = 0;
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') && resets++ < 2 ? (res.socket!.resetAndDestroy(), true) : false));
    const e = await setup(['t1'], { backoff: { baseMs: 60_000, capMs: 300_000, attempts: 6 } });
    const seen = states(e);
    const complete = record(e, 'track-complete');
    await e.sync();
    await until(() => seen.some((s) => s.state === 'waiting' && s.reason === 'backoff'));
    expect(media(origin)).toHaveLength(1);
    link.set(false);
    link.set(true);
    await until(() => media(origin).length === 2); // the clock did not move: 30 s of backoff waived
    await until(() => seen.filter((s) => s.state === 'waiting' && s.reason === 'backoff').length === 2);
    await e.resume(); // the listener's "go on"
    await e.idle();
    expect(complete).toHaveLength(1);
    expect(media(origin).length).toBeGreaterThanOrEqual(3);
  });

  it('a track that gave up on a 429 with Retry-After waits it out on resume(): the origin is not asked before, nor are its other tracks', async () => {
    let refusing = true;
    origin.faults.push((req, res) => (refusing && req.url!.startsWith('/media/') ? (res.writeHead(429, { 'retry-after': '600' }).end(), true) : false));
    const e = await setup(['t1', 't2'], { backoff: { baseMs: 1000, capMs: 5000, attempts: 1 }, throttle: { maxConcurrent: 1 } });
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    await e.sync();
    await until(() => failed.length === 1);
    const failedAt = clock.now();
    await new Promise((r) => setTimeout(r, 50));
    expect(media(origin)).toHaveLength(1); // t2 waits for the origin's 600 s, though t1 gave up
    await e.resume();
    await new Promise((r) => setTimeout(r, 100));
    expect(media(origin)).toHaveLength(1); // nor does t1's retry go before then
    refusing = false;
    await advanceUntil(clock, () => paths(origin).length === 2, { stepMs: 30_000, maxMs: 3_600_000 });
    expect(clock.now() - failedAt).toBeGreaterThanOrEqual(600_000);
  });

  it('a track that failed at once on a status that is not transient (400, 451) is not asked again on resume() or when the browser is back online', async () => {
    const link = stubConnectivity(true);
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') ? (res.writeHead(451).end(), true) : false));
    const e = await setup(['t1']);
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    await e.sync();
    await until(() => failed.length === 1);
    expect(failed[0]!.code).toBe('network');
    await e.resume();
    await e.idle();
    link.set(false);
    link.set(true);
    await e.idle();
    await new Promise((r) => setTimeout(r, 50));
    expect([media(origin).length, failed.length]).toEqual([1, 1]);
  });

  it('a stalled body is aborted after stallTimeoutMs and retried', async () => {
    let stalls = 0;
    origin.faults.push((req, res, file) => {
      if (!req.url!.startsWith('/media/') || stalls++ > 0) return false;
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file!.length });
      res.write(file!.subarray(0, CHUNK + 10)); // then silence
      return true;
    });
    const e = await setup(['t1'], { stallTimeoutMs: 10_000 });
    const done = record(e, 'track-complete');
    await e.sync();
    await until(() => media(origin).length === 1);
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(9_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(media(origin)).toHaveLength(1);
    await advanceUntil(clock, () => done.length === 1, { stepMs: 250 });
    expect(media(origin)[1]!.range).toMatch(new RegExp(`^bytes=${CHUNK}-`)); // resumed after the chunk that verified
    expect(origin.chunksAsked('/media/t1.mp3', CHUNK, 1)).toEqual([1, 2, 3]);
  });

  it('401 without an authorize hook pauses the queue unauthorized: no track ended, nothing dropped, no retry until resume()', async () => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/t1') ? (res.writeHead(401).end(), true) : false));
    const e = await setup(['t1', 't2'], { throttle: { maxConcurrent: 1 } });
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    const seen = states(e);
    await e.sync();
    await e.idle();
    expect(failed).toEqual([]);
    expect(seen.at(-1)).toEqual({ state: 'paused', reason: 'unauthorized' });
    expect(media(origin).filter((r) => r.path === '/media/t1.mp3')).toHaveLength(1);
    origin.faults.length = 0; // the app signed the user in again
    await e.resume();
    await e.idle();
    expect((await e.status()).tracks.map((t) => t.state)).toEqual(['complete', 'complete']);
  });

  it.each([
    [404, 'not-found'],
    [410, 'not-found'],
  ])('%i ends the track as %s without retries', async (status, code) => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/t1') ? (res.writeHead(status).end(), true) : false));
    const e = await setup(['t1', 't2']);
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    await e.sync();
    await e.idle();
    expect(failed).toEqual([{ trackId: 't1', code, message: expect.stringContaining(String(status)) }]);
    expect(media(origin).filter((r) => r.path === '/media/t1.mp3')).toHaveLength(1);
    expect((await e.status()).tracks.find((t) => t.id === 't2')!.state).toBe('complete');
  });

  it('bytes that fail verification three times end the track as integrity-mismatch', async () => {
    origin.faults.push((req, res, file) => {
      if (!req.url!.startsWith('/media/t1')) return false;
      const bad = Buffer.from(file!);
      bad[5]! ^= 1;
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': bad.length }).end(bad);
      return true;
    });
    const e = await setup(['t1']);
    const failed = record<CacheEvents['track-failed']>(e, 'track-failed');
    await e.sync();
    await advanceUntil(clock, () => failed.length === 1, { stepMs: 500 });
    expect(failed[0]).toMatchObject({ trackId: 't1', code: 'integrity-mismatch' });
    expect(media(origin)).toHaveLength(3);
    const report = await e.sync(); // a new sync() retries failed tracks
    expect(report.toFetch.tracks).toBe(1);
  });
});

describe('priority and the reset window', () => {
  it('a first install never waits the reset window (docs/how-it-works.md: only service- or app-caused resets wait)', async () => {
    const e = await setup(['t1', 't2'], {}, (m) => (m.resync = { windowSeconds: 900 }));
    const report = await e.sync();
    expect(report.kind).toBe('storage-lost');
    await e.idle(); // the clock is manual: a wait would never end
    expect(paths(origin).sort()).toEqual(['/media/t1.mp3', '/media/t2.mp3']);
  });

  it('waits a random moment within resync.windowSeconds after a security reset; prioritize() skips the wait', async () => {
    const e = await setup(['t0']);
    await e.sync();
    await e.idle();
    origin.log.length = 0;
    const ids = ['t0', 't1', 't2', 't3'];
    await publish(origin, { tracks: ids.map((id) => track(id)), playlists: [{ id: 'p', trackIds: ids, offline: true }], epoch: 2, patch: (m) => (m.resync = { windowSeconds: 900 }) });
    const seen = states(e);
    const report = await e.sync();
    expect(report.kind).toBe('security-epoch');
    await new Promise((r) => setTimeout(r, 30));
    expect(media(origin)).toHaveLength(0);
    expect(seen.at(-1)).toMatchObject({ state: 'waiting', reason: 'reset-window', until: clock.now() + 450_000 }); // random() = 0.5
    await e.prioritize('t3');
    await until(() => media(origin).length >= 1);
    await until(async () => (await e.status()).tracks.find((t) => t.id === 't3')!.state === 'complete');
    expect(paths(origin)).toEqual(['/media/t3.mp3']);
    const waited = await advanceUntil(clock, () => paths(origin).length === 3, { stepMs: 10_000, maxMs: 500_000 });
    expect(waited).toBeGreaterThanOrEqual(440_000);
    expect(waited).toBeLessThanOrEqual(460_000);
  });

  it('prioritize() mid-run moves a track to the front; the yielding track keeps its chunks', async () => {
    origin.pace = { bytes: 16 * 1024, everyMs: 10 };
    const ids = ['t1', 't2', 't3', 't4'];
    await publish(origin, { tracks: ids.map((id) => track(id, 32)), playlists: [{ id: 'p', trackIds: ids, offline: true }] });
    const e = (engine = await openEngine(origin, { throttle: { maxConcurrent: 1 } }));
    await e.sync();
    await until(() => media(origin).length === 1);
    // Once t1 has committed a chunk, the listener asks for t4.
    await until(async () => (await e.status()).tracks.find((t) => t.id === 't1')!.bytesDone >= CHUNK);
    expect(await e.prioritize('t4')).toBe(true);
    await e.idle();
    // Requests in runs of one track each (a download asks in pieces): t1, then t4, then t1 again.
    const runs = media(origin).reduce<{ track: string; range: string | undefined }[]>((out, r) => (out.at(-1)?.track === r.path.slice(7, 9) ? out : [...out, { track: r.path.slice(7, 9), range: r.range }]), []);
    expect(runs.map((r) => r.track)).toEqual(['t1', 't4', 't1', 't2', 't3']);
    expect(runs[2]!.range).toMatch(/^bytes=\d+-/);
    expect(runs[2]!.range).not.toMatch(/^bytes=0-/); // resumed, not from zero
    // Asked twice: at most the pieces open when it yielded (cancelled unread), never a committed chunk.
    const t1Chunks = origin.chunksAsked('/media/t1.mp3', CHUNK);
    expect(t1Chunks.length - new Set(t1Chunks).size).toBeLessThanOrEqual(2 * UNCAPPED_BUCKETS); // two uncapped requests
  });

  it('downloads playlists by last played, then in playlist order', async () => {
    await publish(origin, {
      tracks: ['a1', 'a2', 'b1', 'c1'].map((id) => track(id, 1)),
      playlists: [
        { id: 'a', trackIds: ['a1', 'a2'], offline: true },
        { id: 'b', trackIds: ['b1'], offline: true },
        { id: 'c', trackIds: ['c1'], offline: false },
      ],
    });
    engine = await openEngine(origin, { throttle: { maxConcurrent: 1 } });
    await engine.sync();
    await engine.idle();
    await engine.getTrack('b1'); // b is now the most recently played
    await engine.setOffline('c', true);
    await engine.idle();
    await engine.clear();
    origin.log.length = 0;
    await engine.setOffline('a', true);
    await engine.setOffline('b', true);
    await engine.sync();
    await engine.idle();
    expect(media(origin).map((r) => r.path)).toEqual(['/media/a1.mp3', '/media/a2.mp3', '/media/b1.mp3']); // clear() forgot the plays
  });
});

describe('throttling', () => {
  it('never has more than maxConcurrent requests in flight; resync hints only lower the settings', async () => {
    origin.pace = { bytes: 8 * 1024, everyMs: 2 };
    const ids = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const e = await setup(ids, { throttle: { maxConcurrent: 4, bytesPerSecond: 50e6 }, clock: undefined }, (m) => (m.resync = { maxConcurrent: 2, maxBytesPerSecond: 100e6 }));
    await e.sync();
    expect((await e.status()).throttle).toEqual({ maxConcurrent: 2, bytesPerSecond: 50e6 });
    await e.idle();
    expect(origin.maxInFlight).toBe(2);
    await e.setThrottle({ maxConcurrent: 8 }); // hints still cap it
    expect((await e.status()).throttle.maxConcurrent).toBe(2);
  });

  it('caps body bytes per second, and setThrottle() applies to requests in flight within a second', async () => {
    const counted = { bytes: 0 };
    // Pull-based with highWaterMark 0: bytes are counted when the engine reads them, not when
    // a pipe reads ahead of it.
    const countingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const reader = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) return controller.close();
            counted.bytes += value.byteLength;
            controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const e = await setup(['big'], { throttle: { bytesPerSecond: 100_000 }, fetch: countingFetch });
    await publish(origin, { tracks: [track('big', 64)], playlists: [{ id: 'p', trackIds: ['big'], offline: true }] });
    await e.sync();
    await until(() => counted.bytes > 0);
    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        await clock.advance(50);
        await new Promise((r) => setTimeout(r, 4));
      }
    };
    await step(1000); // let the one-chunk burst pass
    let before = counted.bytes;
    await step(4000);
    const slow = (counted.bytes - before) / 4;
    expect(slow).toBeGreaterThan(100_000 * 0.8);
    expect(slow).toBeLessThan(100_000 * 1.2 + (2 * 65_536) / 4); // one piece read ahead of its tokens at each end
    await e.setThrottle({ bytesPerSecond: 400_000 });
    await step(1000); // within a second …
    before = counted.bytes;
    await step(2000);
    const fast = (counted.bytes - before) / 2;
    expect(fast).toBeGreaterThan(400_000 * 0.8); // … the request in flight runs at the new rate
    expect(fast).toBeLessThan(400_000 * 1.2 + (2 * 65_536) / 2);
    // The cap is paid for before bytes are asked: capped requests ask one chunk at most (docs/how-it-works.md).
    expect(media(origin).every((r) => r.bytes <= CHUNK)).toBe(true);
  });

  it('progress of a capped download: overall covers the whole job through a replan, never decreases, and reaches the total only with the last track-complete', async () => {
    const ids = ['t1', 't2', 't3'];
    await publish(origin, { tracks: ids.map((id) => track(id, 4)), playlists: [{ id: 'p', trackIds: ids, offline: true }] });
    engine = await openEngine(origin, { throttle: { maxConcurrent: 2, bytesPerSecond: 600_000 } });
    const log: (['progress', ProgressEvent] | ['complete', string])[] = [];
    engine.on('progress', (p) => log.push(['progress', p]));
    engine.on('track-complete', (c) => log.push(['complete', c.trackId]));
    await engine.sync();
    await until(() => log.some(([kind]) => kind === 'complete'), 10_000);
    await engine.sync(); // a replan while the job runs: the same plan, one track already complete
    await until(() => log.filter(([kind]) => kind === 'complete').length === 3, 10_000);
    await until(() => log.at(-1)?.[0] === 'progress', 2000); // the event that shows the total
    const progress = log.flatMap(([kind, e]) => (kind === 'progress' ? [(e as ProgressEvent).overall] : []));
    expect(progress.length).toBeGreaterThan(3);
    expect(new Set(progress.map((p) => p.bytesTotal))).toEqual(new Set([12 * CHUNK])); // the whole job, every time
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone);
    const lastComplete = log.map(([kind]) => kind).lastIndexOf('complete');
    const firstTotal = log.findIndex(([kind, e]) => kind === 'progress' && (e as ProgressEvent).overall.bytesDone === 12 * CHUNK);
    expect(firstTotal).toBeGreaterThan(lastComplete);
    expect(log.slice(0, lastComplete).some(([kind, e]) => kind === 'progress' && (e as ProgressEvent).overall.etaSeconds === 0)).toBe(false);
    expect(log.at(-1)![1]).toMatchObject({ overall: { bytesDone: 12 * CHUNK, bytesTotal: 12 * CHUNK, etaSeconds: 0 } });
  });

  it('emits progress at most about ten times a second, per track and overall', async () => {
    origin.pace = { bytes: 8192, everyMs: 10 };
    await publish(origin, { tracks: [track('t1', 12), track('t2', 12)], playlists: [{ id: 'p', trackIds: ['t1', 't2'], offline: true }] });
    engine = await openEngine(origin, { throttle: { maxConcurrent: 2 } });
    const progress = record<ProgressEvent>(engine, 'progress');
    const at: number[] = [];
    engine.on('progress', () => at.push(Date.now()));
    await engine.sync();
    await engine.idle();
    await until(() => progress.at(-1)?.overall.bytesDone === 24 * CHUNK); // the trailing event carries the end
    expect(progress.length).toBeGreaterThan(3);
    // At most about ten a second: events are at least 100 ms apart when emitted (listeners may
    // run a little late under load, hence the margin on single gaps).
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
    expect((at.length - 1) / ((at.at(-1)! - at[0]!) / 1000)).toBeLessThanOrEqual(10.5);
    expect(progress.at(-1)!.overall).toMatchObject({ bytesDone: 24 * CHUNK, bytesTotal: 24 * CHUNK, etaSeconds: 0 });
    expect(progress.some((p) => p.overall.bytesPerSecond > 0)).toBe(true);
    expect(progress.every((p) => p.bytesTotal === 12 * CHUNK && p.bytesDone <= p.bytesTotal && ['t1', 't2'].includes(p.trackId))).toBe(true);
  });
});

describe('pipelining', () => {
  it('starts the next request while the last chunks of the previous track are still being written', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    const bodies = new Map(ids.map((id) => [id, bytesOf(id, CHUNK * 3)]));
    for (const [id, body] of bodies) origin.put(`/media/${id}.mp3`, body);
    let release!: () => void;
    const writesHeld = new Promise<void>((r) => (release = r));
    const written = new Map<string, Buffer>();
    const done: string[] = [];
    const scheduler = new Scheduler(
      originSchedulerHooks(origin, {
        commit: async (trackId, chunks) => {
          const copies = chunks.map((c) => Buffer.from(new Uint8Array(c.bytes))); // copied when put, as IndexedDB does
          await writesHeld; // a slow store
          chunks.forEach((c, k) => written.set(`${trackId}:${c.index}`, copies[k]!));
        },
        onComplete: (job) => void done.push(job.trackId),
      }),
      { maxConcurrent: 1, bytesPerSecond: Infinity },
    );
    scheduler.setPlan(
      ids.map((id) => ({
        trackId: id,
        contentId: id,
        url: `${origin.url}/media/${id}.mp3`,
        origin: origin.url,
        remainingBytes: () => (done.includes(id) ? 0 : CHUNK * 3),
        request: () => {
          const body = bodies.get(id)!;
          const missing = [0, 1, 2].filter((i) => !written.has(`${id}:${i}`));
          return missing.length === 0
            ? undefined
            : { trackId: id, url: `${origin.url}/media/${id}.mp3`, mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, digests: chunkDigests(body), missing };
        },
      })),
    );
    // While no write completes: "a" was read and waits for its write, "b" was fetched meanwhile —
    // one request at a time (uncapped, a request holds four chunks), and no more than one
    // download finishing outside a request slot.
    await until(() => media(origin).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(media(origin).map((r) => r.path)).toEqual(['/media/a.mp3', '/media/b.mp3']);
    expect(done).toEqual([]);
    release();
    await scheduler.idle();
    expect(done.sort()).toEqual(ids);
    expect(origin.maxInFlight).toBe(1);
    expect(media(origin)).toHaveLength(4);
    for (const [id, body] of bodies) for (const i of [0, 1, 2]) expect([id, i, written.get(`${id}:${i}`)!.equals(body.subarray(i * CHUNK, (i + 1) * CHUNK))]).toEqual([id, i, true]);
    scheduler.close();
  });
});

describe('pausing', () => {
  it('pause() stops the queue with reason "user" (in-flight work keeps its chunks); resume() goes on', async () => {
    origin.pace = { bytes: 16 * 1024, everyMs: 10 };
    const e = await setup(['t1', 't2'], { throttle: { maxConcurrent: 1 }, clock: undefined });
    const seen = states(e);
    await e.sync();
    await until(() => origin.bytesSent('/media/t1.mp3') >= 2 * CHUNK);
    await e.pause();
    expect(seen.at(-1)).toEqual({ state: 'paused', reason: 'user' });
    expect((await e.status()).state).toEqual({ state: 'paused', reason: 'user' });
    await e.idle(); // the stopped download has committed what it verified
    const asked = media(origin).length;
    await new Promise((r) => setTimeout(r, 100));
    expect(media(origin)).toHaveLength(asked); // no request while paused
    expect(paths(origin)).toEqual(['/media/t1.mp3']);
    const committed = (await e.status()).tracks.find((t) => t.id === 't1')!.bytesDone;
    await e.resume();
    await e.idle();
    const resumed = media(origin)[asked]!;
    expect(resumed.path).toBe('/media/t1.mp3');
    expect(resumed.range).toMatch(new RegExp(`^bytes=${committed}-`)); // nothing committed is fetched again
    expect(origin.chunksAsked('/media/t1.mp3', CHUNK, asked)).toEqual([0, 1, 2, 3].slice(committed / CHUNK));
    expect((await e.status()).tracks.every((t) => t.state === 'complete')).toBe(true);
  });

  it.each(['pause', 'sync'] as const)('a track whose bytes were all written when %s() stopped its download still reports track-complete, once', async (how) => {
    // The stop comes while the last chunk's write is being recorded (from the progress event it
    // emits), before the download has settled.
    await publish(origin, { tracks: [{ id: 'short', body: bytesOf('short', 1000) }], playlists: [{ id: 'p', trackIds: ['short'], offline: true }] });
    const e = await openEngine(origin, { clock, random: () => 0.5, throttle: { bytesPerSecond: 10 } });
    engine = e;
    const complete = record<{ trackId: string }>(e, 'track-complete');
    let stopped: Promise<unknown> | undefined;
    e.on('progress', () => void (stopped ??= how === 'pause' ? e.pause() : e.sync()));
    await e.sync();
    await until(() => stopped !== undefined);
    await stopped;
    await until(() => complete.length > 0);
    if (how === 'pause') await e.resume();
    await clock.advance(1_000_000);
    await e.idle();
    expect(complete).toEqual([{ trackId: 'short' }]);
    expect(media(origin)).toHaveLength(1);
  });

  it('offline pauses by itself and online resumes', async () => {
    const link = stubConnectivity(false);
    const e = await setup(['t1'], { clock: undefined });
    await e.sync();
    expect((await e.status()).state).toEqual({ state: 'paused', reason: 'offline' });
    await new Promise((r) => setTimeout(r, 50));
    expect(media(origin)).toHaveLength(0);
    link.set(true);
    await e.idle();
    expect((await e.status()).tracks[0]!.state).toBe('complete');
  });

  it('navigator.connection.saveData pauses with reason "save-data"', async () => {
    const connection = Object.assign(new EventTarget(), { saveData: true });
    vi.stubGlobal('navigator', { onLine: true, connection });
    const e = await setup(['t1'], { clock: undefined });
    await e.sync();
    expect((await e.status()).state).toEqual({ state: 'paused', reason: 'save-data' });
    connection.saveData = false;
    connection.dispatchEvent(new Event('change'));
    await e.idle();
    expect((await e.status()).tracks[0]!.state).toBe('complete');
  });
});

describe('storage quota', () => {
  it('a QuotaExceededError mid-track pauses with quota-exceeded, marks nothing complete, and resumes after remove()', async () => {
    const quota = simulateQuota(CHUNK * 6);
    try {
      await publish(origin, {
        tracks: [track('a', 4), track('b', 4)],
        playlists: [
          { id: 'first', trackIds: ['a'], offline: true },
          { id: 'second', trackIds: ['b'], offline: true },
        ],
      });
      engine = await openEngine(origin, { throttle: { maxConcurrent: 1 } });
      const complete = record<{ trackId: string }>(engine, 'track-complete');
      await engine.sync();
      await engine.idle();
      expect((await engine.status()).state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
      expect(complete.map((c) => c.trackId)).toEqual(['a']);
      const b = (await engine.status()).tracks.find((t) => t.id === 'b')!;
      expect(b.state).not.toBe('complete');
      expect(b.bytesDone).toBeLessThan(b.bytesTotal);
      await expect(engine.getTrack('b')).rejects.toMatchObject({ name: 'not-cached' });
      await engine.remove('first'); // frees a's four chunks
      await engine.idle();
      expect(complete.map((c) => c.trackId)).toEqual(['a', 'b']);
      const blob = await engine.getTrack('b');
      expect(Buffer.from(await blob.arrayBuffer()).equals(bytesOf('b', 4 * CHUNK))).toBe(true);
    } finally {
      quota.restore();
    }
  });

  it('checks navigator.storage.estimate() before queueing, asks persist() once, and reports both', async () => {
    const persist = vi.fn(async () => true);
    vi.stubGlobal('navigator', { onLine: true, storage: { estimate: async () => ({ usage: 1000, quota: 1000 + CHUNK * 5 }), persist, persisted: async () => false } });
    await publish(origin, { tracks: [track('a', 4), track('b', 4)], playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    engine = await openEngine(origin, { throttle: { maxConcurrent: 1 } });
    await engine.sync();
    await engine.idle();
    const status = await engine.status();
    expect(status.state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
    expect(paths(origin)).toEqual(['/media/a.mp3']); // b would not fit: never started
    expect(status.storage).toMatchObject({ usage: 1000, quota: 1000 + CHUNK * 5, persisted: true });
    await engine.setOffline('p', true);
    expect(persist).toHaveBeenCalledTimes(1);
  });

  it('maxBytes evicts the least recently used unpinned playlist, never a pinned one, never shared content', async () => {
    await publish(origin, {
      tracks: [track('x', 2), track('y', 2), track('z', 2), track('shared', 2)],
      playlists: [
        { id: 'old', trackIds: ['x', 'shared'], offline: false },
        { id: 'pinned', trackIds: ['y'], offline: false },
        { id: 'new', trackIds: ['z', 'shared'], offline: false },
      ],
    });
    engine = await openEngine(origin, { maxBytes: CHUNK * 6 });
    await engine.sync();
    await engine.setOffline('pinned', true, { pinned: true });
    await engine.setOffline('old', true);
    await engine.idle();
    await engine.setOffline('new', true); // needs 8 chunks in all: over budget
    await engine.idle();
    const status = await engine.status();
    expect(status.playlists.map((p) => [p.id, p.offline, p.evicted])).toEqual([
      ['old', false, true],
      ['pinned', true, false],
      ['new', true, false],
    ]);
    expect(status.tracks.filter((t) => t.state === 'complete').map((t) => t.id).sort()).toEqual(['shared', 'y', 'z']);
    expect(status.storage.bytesStored).toBe(CHUNK * 6);
    expect(origin.chunksAsked('/media/shared.mp3', CHUNK)).toEqual([0, 1]); // kept, not fetched again
  });
});

