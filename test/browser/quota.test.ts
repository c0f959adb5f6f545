import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf } from '../helpers/catalog.js';
import { callCache, must, openChromiumCache, openChromiumPage, setQuota } from './chromiumPage.js';
import { launch, startSite } from './harness.js';
import { QUOTA_PROBE } from '../../src/engine/StorageBudget.js';

// Issue 22 and issue 15 §5: a real QuotaExceededError in Chromium (Storage.overrideQuotaForOrigin).
const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
const track = (id: string, size: number) => ({ id, body: bytesOf(`quota-${id}`, size) });
const A = ['a1', 'a2', 'a3', 'a4'].map((id) => track(id, MiB));
const B = ['b1', 'b2', 'b3', 'b4'].map((id) => track(id, 768 * 1024 + 5));
const bSize = B.reduce((n, t) => n + t.body.length, 0);
/** Long enough for the first quota probe (QUOTA_PROBE.firstMs after the pause) to come and find no room. */
const STORM_MS = QUOTA_PROBE.firstMs + 10_000;
const MAX_CONCURRENT = 3; // the default throttle

type Status = { state: { state: string; reason?: string }; tracks: { id: string; state: string; bytesDone: number }[]; storage: { quota: number | null; quotaSource: string | null; persisted: boolean | null } };

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

async function site() {
  const s = await startSite([...A, ...B], [{ id: 'A', trackIds: A.map((t) => t.id) }, { id: 'B', trackIds: B.map((t) => t.id) }], CHUNK);
  // Paced bodies: the origin's byte count is what the page read, not what a socket buffered.
  s.origin.pace = { bytes: 32 * 1024, everyMs: 2 };
  return s;
}
type Site = Awaited<ReturnType<typeof site>>;
const mediaRequests = (s: Site) => s.origin.log.filter((r) => r.path.startsWith('/media/'));
const status = (page: Page) => must(callCache<Status>(page, 'status'));

async function waitForState(page: Page, want: (s: Status['state']) => boolean, ms: number): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status(page);
    if (want(s.state)) return s;
    if (Date.now() > end) throw new Error(`state ${JSON.stringify(s.state)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** No track called complete lacks a byte: each reads back byte-identical. */
async function noPartialComplete(page: Page, s: Status): Promise<number> {
  const bodies = new Map([...A, ...B].map((t) => [t.id, t.body]));
  let complete = 0;
  for (const t of s.tracks.filter((t) => t.state === 'complete')) {
    const b64 = await page.evaluate(async (id) => toBase64(await (window as never as { cache: any }).cache.getTrack(id)), t.id);
    expect(Buffer.from(b64, 'base64').equals(bodies.get(t.id)!), `${t.id} reads back as the origin's bytes`).toBe(true);
    complete++;
  }
  return complete;
}

/** A offline and complete, then B offline until the quota (room for A and about half of B) pauses the queue. */
async function fillUp(s: Site) {
  const page = await openChromiumPage(browser.context, s.url);
  // Set before the first write: Chromium caches an origin's space left for a while.
  const quota = 4 * MiB * 1.03 + bSize / 2;
  await setQuota(page, s.origin.url, quota);
  await openChromiumCache(page, s.options);
  await must(callCache(page, 'sync'));
  await must(callCache(page, 'setOffline', 'A', true));
  await must(callCache(page, 'idle'));
  await must(callCache(page, 'setOffline', 'B', true));
  const paused = await waitForState(page, (st) => st.state !== 'downloading' && st.state !== 'idle', 30_000);
  expect(paused.state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
  expect(paused.storage.quotaSource).toBe('quota-error');
  // The device is really full: a plain IndexedDB write of two write batches is refused too. (A
  // probe of one chunk was once written in a full `npm test`, 2026-11-30: the space left had
  // grown after the pause — not reproduced alone; Chromium's accounting of the writes the quota
  // aborted is the likely cause. The engine's own QuotaExceededError is checked above.)
  await setQuota(page, s.origin.url, quota, 2 * 16 * CHUNK);
  return { page, paused };
}

/** remove(A) frees space and resumes: B completes, fetching only what was missing at the pause. */
async function removeAndComplete(s: Site, page: Page, paused: Status) {
  const requestsAtPause = s.origin.log.length;
  await must(callCache(page, 'remove', 'A'));
  const done = await waitForState(page, (st) => st.state === 'idle', 30_000);
  expect(done.tracks.filter((t) => B.some((b) => b.id === t.id)).map((t) => t.state)).toEqual(B.map(() => 'complete'));
  await noPartialComplete(page, done);
  for (const b of B) {
    const stored = paused.tracks.find((t) => t.id === b.id)!;
    const after = s.origin.log.slice(requestsAtPause).filter((r) => r.path === `/media/${b.id}`).reduce((n, r) => n + r.bytes, 0);
    // At most what was missing at the pause (less when verified chunks the quota refused were kept to be written first).
    expect(after, `${b.id}: only what was missing at the pause is fetched after it`).toBeLessThanOrEqual(b.body.length - stored.bytesDone);
  }
  return s.origin.bytesSent('/media/b');
}

describe.concurrent('a full device in Chromium (a real quota through the DevTools protocol)', () => {
  it(`while full: no media request for ${STORM_MS / 1000} s (through the first probe) and still paused quota-exceeded; no partial track complete; remove() of another playlist resumes`, async () => {
    const s = await site();
    try {
      const { page, paused } = await fillUp(s);
      const complete = await noPartialComplete(page, paused);
      console.log(`[reliability] quota: B paused quota-exceeded with ${complete - A.length} of ${B.length} tracks complete`);
      const before = mediaRequests(s).length;
      const started = Date.now();
      await new Promise((r) => setTimeout(r, STORM_MS));
      const during = mediaRequests(s).length - before;
      console.log(`[reliability] quota: ${during} media requests while full over ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(during).toBe(0);
      expect((await status(page)).state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
      const states = await page.evaluate(() => (window as never as { states: unknown[] }).states);
      expect(states.at(-1)).toEqual({ state: 'paused', reason: 'quota-exceeded' });
      const fetched = await removeAndComplete(s, page, paused);
      console.log(`[reliability] quota: B (hit the quota once) fetched ${fetched} bytes for ${bSize} of content: ${(fetched / bSize).toFixed(3)}×`);
    } finally {
      await s.origin.close();
    }
  }, 150_000);

  // Verified chunks the quota refused are kept and written first once there is room, and requests
  // are pieces of bounded size: what a quota hit costs is what was in flight, not a batch.
  it('the batch bound: a playlist that hit the quota once costs at most its size + one chunk per track in flight', async () => {
    const s = await site();
    try {
      const { page, paused } = await fillUp(s);
      const fetched = await removeAndComplete(s, page, paused);
      const bound = bSize + MAX_CONCURRENT * CHUNK;
      console.log(`[reliability] quota: batch bound: B fetched ${(fetched / bSize).toFixed(3)}× its size (bound ${(bound / bSize).toFixed(3)}×)`);
      expect(fetched).toBeLessThanOrEqual(bound);
    } finally {
      await s.origin.close();
    }
  }, 60_000);

  it('a metadata write that does not fit: sync() and setOffline() reject quota-exceeded saying what to do, the queue pauses; a probe resumes it once the quota grows', async () => {
    const s = await site();
    try {
      const page = await openChromiumPage(browser.context, s.url);
      await setQuota(page, s.origin.url, 16 * 1024);
      await openChromiumCache(page, s.options);
      const errors = [await callCache(page, 'sync'), await callCache(page, 'setOffline', 'A', true)];
      for (const e of errors) {
        expect(e).toEqual({ error: { name: 'quota-exceeded', message: expect.stringMatching(/IndexedDB refused to write .*: the storage quota for this site is full — .*free space \(remove a playlist\)/) } });
      }
      expect((await status(page)).state).toEqual({ state: 'paused', reason: 'quota-exceeded' });
      expect((await status(page)).storage.quotaSource).toBe('quota-error');
      await setQuota(page, s.origin.url, 64 * MiB);
      // The first probe comes 30 s after the pause: a one-chunk write, no media request.
      const resumed = await waitForState(page, (st) => st.state !== 'paused', 45_000);
      expect(resumed.state).toEqual({ state: 'idle' });
      expect(mediaRequests(s)).toEqual([]);
      await must(callCache(page, 'sync'));
      await must(callCache(page, 'setOffline', 'A', true));
    } finally {
      await s.origin.close();
    }
  }, 90_000);

  it('asks the page for persistent storage once, the first time a playlist goes offline, and status() reports the answer', async () => {
    const s = await site();
    try {
      const page = await openChromiumPage(browser.context, s.url, () => {
        const storage = navigator.storage;
        const persist = storage.persist.bind(storage);
        const w = window as never as { persistCalls: number; persistAnswer: Promise<boolean> };
        w.persistCalls = 0;
        storage.persist = () => (w.persistCalls++, (w.persistAnswer = persist()));
      });
      const calls = () => page.evaluate(() => (window as never as { persistCalls: number }).persistCalls);
      await openChromiumCache(page, s.options);
      await must(callCache(page, 'sync'));
      expect(await calls()).toBe(0);
      expect((await status(page)).storage.persisted).toBe(false);
      await must(callCache(page, 'setOffline', 'A', true));
      await must(callCache(page, 'setOffline', 'B', true));
      await must(callCache(page, 'setOffline', 'A', false));
      await must(callCache(page, 'setOffline', 'A', true));
      await must(callCache(page, 'idle'));
      expect(await calls()).toBe(1);
      // Headless Chromium declines (no engagement with the site); what counts is that status() says so.
      const answer = await page.evaluate(() => (window as never as { persistAnswer: Promise<boolean> }).persistAnswer);
      expect(typeof answer).toBe('boolean');
      expect((await status(page)).storage.persisted).toBe(answer);
    } finally {
      await s.origin.close();
    }
  });
});
