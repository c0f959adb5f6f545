import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chunkDigests } from '../helpers/catalog.js';
import { makeWav } from '../helpers/wav.js';
import { launch, startSite } from './harness.js';

const CHUNK = 64 * 1024;
const songs = { 'song-a': makeWav(12, 0), 'song-b': makeWav(6, 3), 'song-c': makeWav(6, 1) };
const tracks = Object.entries(songs).map(([id, body]) => ({ id, body }));
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }, { id: 'more', trackIds: ['song-c'] }];

let browser: Awaited<ReturnType<typeof launch>>;
let context: BrowserContext;
let site: Awaited<ReturnType<typeof startSite>>;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const page of context?.pages() ?? []) await page.close().catch(() => {});
  await site?.origin.close();
});

async function openPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(site.url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** Opens the cache in a page; events are collected in window.events. */
async function openCache(page: Page): Promise<'leader' | 'follower'> {
  return page.evaluate(async (options) => {
    const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any; events: unknown[] };
    w.cache = await w.openOfflineCache(options);
    for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset', 'app-update']) w.cache.on(type, (e: unknown) => w.events.push({ type, e }));
    return w.cache.role;
  }, site.options);
}

describe('in Chromium: worker, service worker and page client', () => {
  it('syncs, marks a playlist offline, and plays a cached track offline with a 206 seek', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const page = await openPage();
    expect(await openCache(page)).toBe('leader');
    const report = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const r = await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
      return r;
    });
    expect(report).toMatchObject({ kind: 'none', manifest: 'accepted', toEpoch: 1 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    const responses: { url: string; status: number; fromSW: boolean }[] = [];
    page.on('response', (r) => r.url().includes('__reprise__') && responses.push({ url: r.url(), status: r.status(), fromSW: r.fromServiceWorker() }));
    await context.setOffline(true);
    const played = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const audio = document.getElementById('player') as HTMLAudioElement;
      audio.src = cache.trackUrl('song-a');
      await audio.play();
      await sleep(300);
      const t0 = audio.currentTime;
      await sleep(1200);
      const t1 = audio.currentTime;
      const seeked = new Promise((r) => audio.addEventListener('seeked', r, { once: true }));
      audio.currentTime = audio.duration / 2;
      await seeked;
      await sleep(800);
      const t2 = audio.currentTime;
      const ranged = await fetch(cache.trackUrl('song-a'), { headers: { Range: 'bytes=100000-100099' } });
      return { t0, t1, t2, duration: audio.duration, error: audio.error?.code ?? null, online: navigator.onLine, rangeStatus: ranged.status, contentRange: ranged.headers.get('content-range'), rangeBytes: await toBase64(await ranged.blob()) };
    });
    await context.setOffline(false);
    expect(played.online).toBe(false);
    expect(played.error).toBeNull();
    expect(played.t1).toBeGreaterThan(played.t0 + 0.5); // currentTime advances
    expect(played.t2).toBeGreaterThan(played.duration / 2); // playing from the middle
    expect(played.rangeStatus).toBe(206);
    expect(played.contentRange).toBe(`bytes 100000-100099/${songs['song-a'].length}`);
    expect(Buffer.from(played.rangeBytes, 'base64').equals(songs['song-a'].subarray(100000, 100100))).toBe(true);
    expect(responses.some((r) => r.status === 206 && r.fromSW)).toBe(true); // the seek, answered by the service worker

    // getTrack() returns the source bytes, and edge cases of the route answer as HTTP says.
    const checks = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const blob: Blob = await cache.getTrack('song-b');
      const bad = await fetch(cache.trackUrl('song-a'), { headers: { Range: 'bytes=99999999-' } });
      const missing = await fetch(cache.trackUrl('song-c')); // in a playlist that is not offline
      const head = await fetch(cache.trackUrl('song-b'));
      return {
        bytes: await toBase64(blob),
        type: blob.type,
        unsatisfiable: [bad.status, bad.headers.get('content-range')],
        missing: missing.status,
        whole: [head.status, head.headers.get('content-length'), head.headers.get('accept-ranges'), head.headers.get('content-type')],
      };
    });
    expect(Buffer.from(checks.bytes, 'base64').equals(songs['song-b'])).toBe(true);
    expect(checks.type).toBe('audio/wav');
    expect(checks.unsatisfiable).toEqual([416, `bytes */${songs['song-a'].length}`]);
    expect(checks.missing).toBe(404);
    expect(checks.whole).toEqual([200, String(songs['song-b'].length), 'bytes', 'audio/wav']);
  });

  it('answers 404 for a corrupted stored chunk, never plays it, and fetches it again', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const page = await openPage();
    await openCache(page);
    await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const [first, , third] = chunkDigests(songs['song-b'], CHUNK);
    // The origin is down while the page checks, so the engine cannot replace the bad chunks yet.
    let originDown = true;
    site.origin.faults.push((req, res) => (originDown && req.url!.startsWith('/media/') ? (res.writeHead(503).end(), true) : false));
    const result = await page.evaluate(
      async ({ first, third }) => {
        const { cache } = window as never as { cache: any };
        // Flip a byte of two stored chunks, as a failing disk (or another app) would.
        const db: IDBDatabase = await new Promise((resolve, reject) => {
          const open = indexedDB.open('reprise');
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        for (const digest of [first, third] as string[]) {
          await new Promise<void>((resolve, reject) => {
            const tx = db.transaction('chunks', 'readwrite');
            const store = tx.objectStore('chunks');
            const get = store.get(digest);
            get.onsuccess = () => {
              const bytes = new Uint8Array(get.result.bytes.slice(0));
              bytes[1000] = bytes[1000]! ^ 0xff;
              store.put({ bytes: bytes.buffer }, digest);
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          });
        }
        db.close();
        const whole = await fetch(cache.trackUrl('song-b'));
        const audio = document.getElementById('player') as HTMLAudioElement;
        audio.src = cache.trackUrl('song-b');
        const outcome = await audio.play().then(
          () => 'played',
          (e) => e.name,
        );
        await new Promise((r) => setTimeout(r, 500));
        // A range that starts in a good chunk and runs into the bad third one: the good bytes come, then an error.
        const ranged = await fetch(cache.trackUrl('song-b'), { headers: { Range: `bytes=${65536 + 10}-${3 * 65536 - 1}` } });
        let received = 0;
        let streamError = null;
        try {
          const reader = ranged.body!.getReader();
          for (let r = await reader.read(); !r.done; r = await reader.read()) received += r.value.byteLength;
        } catch (e) {
          streamError = (e as Error).name || 'error';
        }
        return { whole: whole.status, outcome, currentTime: audio.currentTime, mediaError: audio.error?.code ?? null, rangedStatus: ranged.status, received, streamError };
      },
      { first, third },
    );
    expect(result.whole).toBe(404);
    expect(result.outcome).not.toBe('played');
    expect(result.currentTime).toBe(0);
    expect(result.rangedStatus).toBe(206);
    expect(result.received).toBeLessThanOrEqual(65536 - 10); // at most chunk 1: none of chunk 2's bad bytes
    expect(result.streamError).not.toBeNull(); // the response ends in an error where chunk 2 would start
    originDown = false;
    // The service worker reported both; the engine held them back and fetches them again.
    const after = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      for (let i = 0; i < 150; i++) {
        try {
          const blob: Blob = await cache.getTrack('song-b');
          return toBase64(blob);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return '';
    });
    expect(Buffer.from(after, 'base64').equals(songs['song-b'])).toBe(true);
    expect(site.chunkDeliveries('song-b', songs['song-b'].length)).toEqual([2, 1, 2, 1, 1]); // only the two bad chunks again
  });

  it('hybrid apps without a service worker: getTrack() and an object URL play; trackUrl() says why not', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const page = await openPage();
    const result = await page.evaluate(async (options) => {
      const w = window as never as { openOfflineCache: (o: unknown) => Promise<any> };
      const cache = await w.openOfflineCache({ ...options, serviceWorker: false });
      await cache.sync();
      await cache.setOffline('more', true);
      await cache.idle();
      let trackUrlError = null;
      try {
        cache.trackUrl('song-c');
      } catch (e) {
        trackUrlError = (e as Error).name;
      }
      const audio = document.getElementById('player') as HTMLAudioElement;
      const url = URL.createObjectURL(await cache.getTrack('song-c'));
      audio.src = url;
      await audio.play();
      await new Promise((r) => setTimeout(r, 1000));
      const time = audio.currentTime;
      URL.revokeObjectURL(url);
      const controlled = navigator.serviceWorker.controller !== null;
      await cache.close();
      const afterClose = await cache.sync().then(() => 'resolved', (e: Error) => e.name);
      return { trackUrlError, time, controlled, afterClose };
    }, site.options);
    expect(result).toMatchObject({ trackUrlError: 'invalid-argument', controlled: false, afterClose: 'aborted' });
    expect(result.time).toBeGreaterThan(0.5);
  });

  it('refuses bad options with invalid-argument naming the option, and starts nothing', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const page = await openPage();
    const errors = await page.evaluate(async (options) => {
      const w = window as never as { openOfflineCache: (o: unknown) => Promise<any> };
      const attempt = (o: unknown) => w.openOfflineCache(o).then(() => null, (e: Error & { details?: { path?: string } }) => ({ name: e.name, message: e.message, path: e.details?.path }));
      return [
        await attempt({ ...options, trustedKeys: [] }),
        await attempt({ ...options, throttle: { bytesPerSecond: -1 } }),
        await attempt({ ...options, serviceWorker: 'yes' }),
        await attempt({ ...options, manifestUrl: '' }),
      ];
    }, site.options);
    expect(errors).toEqual([
      { name: 'invalid-argument', message: expect.stringContaining('options.trustedKeys'), path: 'options.trustedKeys' },
      { name: 'invalid-argument', message: expect.stringContaining('options.throttle.bytesPerSecond'), path: 'options.throttle.bytesPerSecond' },
      { name: 'invalid-argument', message: expect.stringContaining('options.serviceWorker'), path: 'options.serviceWorker' },
      { name: 'invalid-argument', message: expect.stringContaining('options.manifestUrl'), path: 'options.manifestUrl' },
    ]);
    expect(site.origin.log.filter((r) => r.path === '/manifest.jws')).toHaveLength(0);
  });

  it('reports a waiting service worker as app-update; applyUpdate() activates it', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const page = await openPage();
    await openCache(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const sw = site.origin.files.get('/sw.js')!;
    site.origin.put('/sw.js', Buffer.concat([sw.body, Buffer.from('\n// build 2\n')]), 'text/javascript');
    await page.evaluate(() => (window as never as { cache: any }).cache.registration.update());
    await page.waitForFunction(() => (window as never as { events: { type: string }[] }).events.some((x) => x.type === 'app-update'));
    const switched = await page.evaluate(async () => {
      const changed = new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', () => r(true), { once: true }));
      (window as never as { cache: any }).cache.applyUpdate();
      return changed;
    });
    expect(switched).toBe(true);
  });

  it('two pages on one database: one engine writes, each chunk is fetched once', async () => {
    site = await startSite(tracks, playlists);
    context = browser.context;
    const [one, two] = [await openPage(), await openPage()];
    const roles = [await openCache(one), await openCache(two)];
    expect(roles.sort()).toEqual(['follower', 'leader']);
    await Promise.all(
      [one, two].map((p) =>
        p.evaluate(async () => {
          const { cache } = window as never as { cache: any };
          await cache.sync();
          await cache.setOffline('mix', true);
          await cache.setOffline('more', true);
          await cache.idle();
        }),
      ),
    );
    for (const [id, body] of Object.entries(songs)) expect(site.chunkDeliveries(id, body.length)).toEqual(new Array(Math.ceil(body.length / CHUNK)).fill(1));
    // The follower plays from the same store.
    const follower = roles[0] === 'follower' ? one : two;
    const bytes = await follower.evaluate(async () => toBase64(await (window as never as { cache: any }).cache.getTrack('song-c')));
    expect(Buffer.from(bytes, 'base64').equals(songs['song-c'])).toBe(true);
  });

  it('closing the leading page mid-download: the other takes over, still each chunk once', async () => {
    const long = makeWav(40, 4); // ~1.7 MB
    site = await startSite([{ id: 'long', body: long }], [{ id: 'mix', trackIds: ['long'] }]);
    context = browser.context;
    // The origin sends the first request's bytes up to the middle of chunk 6, then holds: the
    // leading tab closes while a chunk is half-way, with every earlier chunk committed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    site.origin.faults.push(async (req, res, file) => {
      if (!req.url!.startsWith('/media/long') || !first) return false;
      first = false;
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': file!.length });
      const cut = 6 * CHUNK + CHUNK / 2;
      for (let i = 0; i < cut; i += 16384) {
        res.write(file!.subarray(i, Math.min(cut, i + 16384)));
        await new Promise((r) => setTimeout(r, 5));
      }
      await held;
      res.destroy();
      return true;
    });
    const leader = await openPage();
    expect(await openCache(leader)).toBe('leader');
    const follower = await openPage();
    expect(await openCache(follower)).toBe('follower');
    await leader.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
    });
    await leader.waitForFunction(() => (window as never as { events: { type: string; e: { bytesDone: number } }[] }).events.some((x) => x.type === 'progress' && x.e.bytesDone === 6 * 65536));
    await leader.close({ runBeforeUnload: false });
    release();
    const done = await follower.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.idle();
      const s = await cache.status();
      const blob: Blob = await cache.getTrack('long');
      return { state: s.tracks[0].state, bytes: await toBase64(blob) };
    });
    expect(done.state).toBe('complete');
    expect(Buffer.from(done.bytes, 'base64').equals(long)).toBe(true);
    expect(site.chunkDeliveries('long', long.length)).toEqual(new Array(Math.ceil(long.length / CHUNK)).fill(1));
    expect(site.origin.requestsFor('/media/long').length).toBe(2); // the leader's request, then the new leader's resume
  });
});
