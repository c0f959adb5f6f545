// Issue 22: a full device — no download storm, the batch that fits is kept, a true error everywhere.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheEngine, CacheStatus, EngineState } from '../../src/engine/index.js';
import { CHUNK, bytesOf, openEngine, publish, record } from '../helpers/catalog.js';
import { ManualClock } from '../helpers/ManualClock.js';
import { TestOrigin } from '../helpers/origin.js';
import { simulateQuota } from '../helpers/quota.js';
import { STORAGE_ANSWER_MS } from '../../src/engine/platform.js';
import { until } from '../helpers/wait.js';

let origin: TestOrigin;
let engine: CacheEngine | undefined;
let quota: ReturnType<typeof simulateQuota> | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  quota?.restore();
  quota = undefined;
  vi.unstubAllGlobals();
  await origin.close();
});

const mediaBytes = () => origin.log.filter((r) => r.path.startsWith('/media/')).reduce((n, r) => n + r.bytes, 0);
const mediaRequests = () => origin.log.filter((r) => r.path.startsWith('/media/')).length;
/** Chromium 138+: estimate() reports usage + 10 GiB whatever quota it enforces. */
const lyingEstimate = () => vi.stubGlobal('navigator', { onLine: true, storage: { estimate: async () => ({ usage: quota!.used(), quota: quota!.used() + 10 * 2 ** 30 }) } });

describe('a full device', () => {
  it('no download storm: while paused for quota, no media request however long, even with estimate() saying there is room', async () => {
    quota = simulateQuota(CHUNK * 10);
    lyingEstimate();
    const clock = new ManualClock();
    await publish(origin, { tracks: ['a', 'b', 'c'].map((id) => ({ id, body: bytesOf(id, CHUNK * 8) })), playlists: [{ id: 'p', trackIds: ['a', 'b', 'c'], offline: true }] });
    const e = (engine = await openEngine(origin, { clock, throttle: { maxConcurrent: 1 } }));
    const states = record<EngineState>(e, 'state');
    await e.sync();
    await until(() => states.some((s) => s.state === 'paused' && s.reason === 'quota-exceeded'), 5000, 'the quota pause');
    await e.idle();
    const before = mediaRequests();
    for (let minute = 0; minute < 60; minute++) await clock.advance(60_000); // an hour, probes included
    expect(mediaRequests()).toBe(before);
    expect((await e.status()).state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
    expect((await e.status()).storage).toMatchObject({ quotaSource: 'quota-error' });
  });

  // Found by the Chromium quota test in a fresh-clone CI run of 90cc191 (1 media request while
  // full): the download that hit the quota paused the queue, and the others went on requesting to
  // the end of their plan. Failed on e31dea0 (64 requests, 33 of them at the pause).
  it('the quota pause stops new requests of every download: once paused, at most the requests already open reach the origin', async () => {
    quota = simulateQuota(CHUNK * 3);
    lyingEstimate();
    await publish(origin, { tracks: ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 8) })), playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    // Two downloads at once, each in requests of a quarter chunk or so (a cap sizes them), paced.
    origin.pace = { bytes: CHUNK / 4, everyMs: 5 };
    const e = (engine = await openEngine(origin, { throttle: { maxConcurrent: 2, bytesPerSecond: CHUNK * 40 } }));
    let atPause: number | undefined;
    e.on('state', (s) => void (atPause ??= s.state === 'paused' && s.reason === 'quota-exceeded' ? mediaRequests() : undefined));
    await e.sync();
    await until(() => atPause !== undefined, 10_000, 'the quota pause');
    await e.idle();
    await new Promise((r) => setTimeout(r, 300));
    expect(mediaRequests() - atPause!).toBeLessThanOrEqual(2); // maxConcurrent: those open when it paused
  });

  // A fresh-clone CI run of f0c4789 read `quotaSource: 'estimate'` (the estimate's quota) from a
  // status() whose estimate() was asked just before the hit and answered after the pause: the
  // ceiling the hit teaches was still being learned.
  it('status() that straddles the quota hit reports the quota the hit taught, never the estimate it contradicts', async () => {
    quota = simulateQuota(CHUNK * 10);
    // Every estimate() answers after 30 ms; once the device is full, after 200 ms.
    const estimate = () => new Promise<StorageEstimate>((resolve) => {
      const full = quota!.used() + CHUNK > quota!.limit;
      setTimeout(() => resolve({ usage: quota!.used(), quota: quota!.used() + 10 * 2 ** 30 }), full ? 200 : 30);
    });
    vi.stubGlobal('navigator', { onLine: true, storage: { estimate } });
    await publish(origin, { tracks: ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 8) })), playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    const e = (engine = await openEngine(origin, { clock: new ManualClock(), throttle: { maxConcurrent: 1 } }));
    await e.sync();
    const paused: CacheStatus[] = [];
    const polls: Promise<void>[] = [];
    const end = Date.now() + 5000;
    while (paused.length === 0 && Date.now() < end) {
      polls.push(e.status().then((s) => void (s.state.state === 'paused' && paused.push(s))));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(polls);
    expect(paused.length, 'the quota pause, seen by status()').toBeGreaterThan(0);
    for (const s of paused) expect(s.storage).toMatchObject({ quotaSource: 'quota-error', quota: CHUNK * 10 }); // what the origin held at the hit
  });

  it('a quota hit keeps the chunks of the batch that fit; the quota grows, a probe finds room, and the rest completes', async () => {
    quota = simulateQuota(CHUNK * 11);
    const clock = new ManualClock();
    const bodies = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 8) }));
    await publish(origin, { tracks: bodies, playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    const e = (engine = await openEngine(origin, { clock, throttle: { maxConcurrent: 1 } }));
    const states = record<EngineState>(e, 'state');
    await e.sync();
    await until(() => states.some((s) => s.state === 'paused' && s.reason === 'quota-exceeded'), 5000, 'the quota pause');
    await e.idle();
    // Every chunk that fit is stored: 11 of 16, whichever track's requests got the slot first
    // (the two downloads take turns at one slot by timing: under load b went first once).
    const done = (await e.status()).tracks.reduce((n, t) => n + t.bytesDone, 0);
    expect(done).toBe(CHUNK * 11);
    quota.limit = Infinity; // the user freed space elsewhere on the device
    await clock.advance(30_000); // the first probe
    await until(async () => (await e.status()).tracks.every((t) => t.state === 'complete'), 5000, 'both tracks complete');
    const size = CHUNK * 16;
    const fetched = mediaBytes();
    // At most the chunk that did not fit, plus what the cancelled response had already sent of one chunk.
    expect(fetched).toBeLessThanOrEqual(size + 2 * CHUNK);
    console.log(`quota hit once: bytes fetched ÷ content size = ${(fetched / size).toFixed(3)}`);
  });

  it('a record write that hits the quota rejects quota-exceeded with what to do, and the queue pauses with that reason', async () => {
    await publish(origin, { tracks: [{ id: 'a', body: bytesOf('a', CHUNK) }], playlists: [{ id: 'p', trackIds: ['a'], offline: false }] });
    const e = (engine = await openEngine(origin));
    await e.sync();
    quota = simulateQuota(16, { allStores: true });
    const error = (await e.setOffline('p', true).catch((x: unknown) => x)) as Error;
    expect(error.name).toBe('quota-exceeded');
    expect(error.message).toMatch(/IndexedDB refused to write a playlist record: the storage quota for this site is full — .*remove a playlist/);
    expect((await e.status()).state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
    const syncError = (await e.sync().catch((x: unknown) => x)) as Error;
    expect(syncError.name).toBe('quota-exceeded');
  });

  /** Playlists A and B complete, then a quota of 0: nothing more fits, however much is deleted (Chromium counts deleted blobs a while). */
  async function fullWithTwoPlaylists() {
    const tracks = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 2) }));
    await publish(origin, { tracks, playlists: [{ id: 'A', trackIds: ['a'] }, { id: 'B', trackIds: ['b'] }] });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.setOffline('A', true);
    await e.setOffline('B', true);
    await e.idle();
    quota = simulateQuota(0, { allStores: true });
    return e;
  }

  /** Room again, the app restarted on the same store: A is not offline and holds nothing, B is complete. */
  async function expectAFreedAfterRestart(e: CacheEngine) {
    quota!.restore();
    quota = undefined;
    await e.close();
    engine = undefined;
    const again = (engine = await openEngine(origin, { indexedDB: (e as unknown as { factory: IDBFactory }).factory }));
    await again.sync();
    await again.idle();
    const after = await again.status();
    expect(after.playlists.find((p) => p.id === 'A')).toMatchObject({ offline: false });
    expect(after.tracks.find((t) => t.id === 'a')).toMatchObject({ bytesDone: 0 });
    expect(after.tracks.find((t) => t.id === 'b')).toMatchObject({ state: 'complete' });
  }

  it.each([
    ['remove(A)', (e: CacheEngine) => e.remove('A')],
    ['setOffline(A, false)', (e: CacheEngine) => e.setOffline('A', false)],
  ])('%s on a device so full that the freed space does not take the playlist record: it resolves, the content is freed, and stays so across a restart', async (_what, letGo) => {
    const e = await fullWithTwoPlaylists();
    await letGo(e);
    const status = await e.status();
    expect(status.tracks.find((t) => t.id === 'a')).toMatchObject({ bytesDone: 0 });
    expect(status.tracks.find((t) => t.id === 'b')).toMatchObject({ state: 'complete' });
    await expectAFreedAfterRestart(e);
  });
});

describe('what the platform lacks, status() says', () => {
  it.each([
    ['no storage.estimate() and no Web Locks (WebKitGTK, old WebViews)', {}, { storageEstimate: false, webLocks: false }, { usage: null, quota: null, quotaSource: null }],
    ['both', { storage: { estimate: async () => ({ usage: 10, quota: 100 }) }, locks: {} }, { storageEstimate: true, webLocks: true }, { usage: 10, quota: 100, quotaSource: 'estimate' }],
  ])('%s', async (_what, nav, platform, storage) => {
    vi.stubGlobal('navigator', { onLine: true, ...nav });
    await publish(origin, { tracks: [{ id: 'a', body: bytesOf('a', CHUNK) }], playlists: [{ id: 'p', trackIds: ['a'], offline: true }] });
    const e = (engine = await openEngine(origin));
    const status = await e.status();
    expect(status.platform).toEqual(platform);
    expect(status.storage).toMatchObject(storage);
  });

  it(`storage answers that never come (estimate(), persisted()): status() and sync() answer after ${STORAGE_ANSWER_MS} ms with usage and quota unknown, and the playlist downloads`, async () => {
    const never = () => new Promise<never>(() => {});
    vi.stubGlobal('navigator', { onLine: true, storage: { estimate: never, persisted: never } });
    await publish(origin, { tracks: [{ id: 'a', body: bytesOf('a', CHUNK) }], playlists: [{ id: 'p', trackIds: ['a'], offline: true }] });
    const e = (engine = await openEngine(origin));
    const answered = (p: Promise<unknown>) => Promise.race([p.then(() => 'answered'), new Promise((r) => setTimeout(() => r('hung'), STORAGE_ANSWER_MS + 3000))]);
    expect(await answered(e.sync())).toBe('answered');
    const status = e.status();
    expect(await answered(status)).toBe('answered');
    expect((await status).storage).toMatchObject({ usage: null, quota: null, quotaSource: null, persisted: null });
    await e.idle();
    expect((await e.status()).tracks[0]).toMatchObject({ state: 'complete' });
  }, 20_000);
});
