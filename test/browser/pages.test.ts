import { afterEach, expect } from 'vitest';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openCache, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
const songs = { 'song-a': makeWav(12, 0), 'song-b': makeWav(6, 3), 'song-c': makeWav(6, 1) };
const tracks = Object.entries(songs).map(([id, body]) => ({ id, body }));
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }, { id: 'more', trackIds: ['song-c'] }];

eachEngine('pages: options, storage, app updates, two tabs', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let pages: EnginePage[] = [];
  const open = async () => {
    const page = await openPage(suite.browser, site.url);
    pages.push(page);
    return page;
  };
  afterEach(async () => {
    for (const page of pages) await page.close().catch(() => {});
    pages = [];
    await site?.origin.close();
  });

  suite.test('refuses bad options with invalid-argument naming the option, and starts nothing', {}, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    const errors = await page.evaluate(async (options) => {
      const w = window as never as { openOfflineCache: (o: unknown) => Promise<any> };
      const attempt = (o: unknown) => w.openOfflineCache(o).then(() => null, (e: Error & { details?: { path?: string } }) => ({ name: e.name, message: e.message, path: e.details?.path }));
      return [
        await attempt({ ...options, trustedKeys: [] }),
        await attempt({ ...options, throttle: { bytesPerSecond: -1 } }),
        await attempt({ ...options, serviceWorker: 'yes' }),
        await attempt({ ...options, manifestUrl: '' }),
        // Not a point of P-256 ((x, x)), and a coordinate one byte short: WebKit's importKey takes the first.
        await attempt({ ...options, trustedKeys: [{ ...options.trustedKeys[0]!, y: options.trustedKeys[0]!.x }] }),
        await attempt({ ...options, trustedKeys: [{ ...options.trustedKeys[0]!, y: options.trustedKeys[0]!.y.slice(0, -2) }] }),
        // Not URLs, no bound, and an option only createCacheEngine() takes (a function cannot cross to the worker).
        await attempt({ ...options, manifestUrl: 'https://[bad' }),
        await attempt({ ...options, workerUrl: 'https://[bad' }),
        await attempt({ ...options, serviceWorker: { ...(options.serviceWorker as object), scope: 'https://[bad' } }),
        await attempt({ ...options, openTimeoutMs: Infinity }),
        await attempt({ ...options, fetch: (u: string) => fetch(u) }),
      ];
    }, site.options as typeof site.options & { trustedKeys: { x: string; y: string }[] });
    expect(errors).toEqual([
      { name: 'invalid-argument', message: expect.stringContaining('options.trustedKeys'), path: 'options.trustedKeys' },
      { name: 'invalid-argument', message: expect.stringContaining('options.throttle.bytesPerSecond'), path: 'options.throttle.bytesPerSecond' },
      { name: 'invalid-argument', message: expect.stringContaining('options.serviceWorker'), path: 'options.serviceWorker' },
      { name: 'invalid-argument', message: expect.stringContaining('options.manifestUrl'), path: 'options.manifestUrl' },
      { name: 'invalid-argument', message: expect.stringContaining('trustedKeys.0'), path: 'trustedKeys.0' },
      { name: 'invalid-argument', message: expect.stringContaining('trustedKeys.0'), path: 'trustedKeys.0' },
      ...['manifestUrl', 'workerUrl', 'serviceWorker.scope', 'openTimeoutMs', 'fetch'].map((o) => ({ name: 'invalid-argument', message: expect.stringContaining(`options.${o}`), path: `options.${o}` })),
    ]);
    expect(site.origin.log.filter((r) => r.path === '/manifest.jws')).toHaveLength(0);
  });

  const storageAfterSync = async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    await openCache(page, site.options);
    return page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('more', true);
      await cache.idle();
      const status = await cache.status();
      return { ...status.storage, platform: status.platform } as { bytesStored: number; usage: number | null; quota: number | null; persisted: boolean | null; platform: { storageEstimate: boolean; webLocks: boolean } };
    });
  };
  const without = async () => {
    // No storage.estimate(): status() says the quota is unknown (null), not a made-up number;
    // the queue learns the limit from a QuotaExceededError instead.
    const storage = await storageAfterSync();
    expect(storage).toMatchObject({ bytesStored: songs['song-c'].length, usage: null, quota: null, persisted: null, platform: { storageEstimate: false, webLocks: true } });
  };
  suite.test('status() reports stored bytes, and usage and quota from navigator.storage.estimate()', { needs: ['storageEstimate'], without }, async () => {
    const storage = await storageAfterSync();
    expect(storage.bytesStored).toBe(songs['song-c'].length);
    expect(storage.platform).toEqual({ storageEstimate: true, webLocks: true });
    expect(storage.usage).toBeGreaterThan(0);
    expect(storage.quota).toBeGreaterThan(storage.usage!);
    // persisted() exists in the worker: known, whatever the answer (Firefox's prompt is still open: false).
    expect(typeof storage.persisted).toBe('boolean');
  });

  suite.test('reports a waiting service worker as app-update; applyUpdate() activates it and reloads the page', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    await openCache(page, site.options);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const sw = site.origin.files.get('/sw.js')!;
    site.origin.put('/sw.js', Buffer.concat([sw.body, Buffer.from('\n// build 2\n')]), 'text/javascript');
    await page.evaluate(() => (window as never as { cache: any }).cache.registration.update());
    await page.waitForFunction(() => (window as never as { events: { type: string }[] }).events.some((x) => x.type === 'app-update'));
    const waiting = await page.evaluate(async () => {
      (window as never as { marker: boolean }).marker = true;
      return (await navigator.serviceWorker.getRegistration())?.waiting != null;
    });
    expect(waiting).toBe(true);
    // Not awaited in the page: the page reloads under it.
    await page.evaluate(() => void (window as never as { cache: any }).cache.applyUpdate());
    await page.waitForFunction(
      async () => {
        const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        if ((window as never as { marker?: boolean }).marker || navigation?.type !== 'reload' || document.title !== 'ready' || !navigator.serviceWorker.controller) return false;
        const registration = await navigator.serviceWorker.getRegistration();
        return registration?.waiting === null && registration.active !== null;
      },
      undefined,
      20_000,
    );
  });

  // Chromium and WebKit queue register() behind any other job for the scope, such as an update
  // check of the script: the app's registration.update(), or the one Chromium starts by itself
  // about 5 s after each load of a controlled page (the likely cause of the Chromium crash test's
  // "not registered within 60000 ms" in CI, where pages of one origin open one after another). That
  // check lasts as long as the script's fetch (minutes on a captive network); Firefox does not
  // queue. A page the service worker already controls does not wait for it (docs/lifecycle.md).
  // Before that: Chromium and WebKit failed here at the bound, Firefox opened.
  suite.test('a controlled page opens within the bound while an update check of the script hangs, and trackUrl() is answered by the service worker', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    await openCache(page, site.options);
    await page.evaluate(() => (window as never as { cache: { close(): Promise<void> } }).cache.close());
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready' && navigator.serviceWorker.controller !== null);
    const held: { end(): void }[] = [];
    site.origin.faults.push((req, res) => {
      if (!req.url?.startsWith('/sw.js')) return false;
      held.push(res);
      return true;
    });
    const outcome = await page.evaluate(async (options) => {
      const w = window as never as { openOfflineCache: (o: unknown) => Promise<{ trackUrl(id: string): string; close(): Promise<void> }> };
      const registration = await navigator.serviceWorker.getRegistration();
      let update = 'pending';
      void registration!.update().then(() => (update = 'resolved'), (e: Error) => (update = `rejected: ${e.message}`));
      const t0 = performance.now();
      const opened = await w.openOfflineCache(options).then(
        (cache) => ({ cache }),
        (e: Error) => ({ error: `${e.name}: ${e.message}` }),
      );
      const ms = Math.round(performance.now() - t0);
      const updateWhenOpened = update;
      if ('error' in opened) return { ms, updateWhenOpened, error: opened.error };
      const status = (await fetch(opened.cache.trackUrl('not-in-the-manifest'))).status;
      await opened.cache.close();
      return { ms, updateWhenOpened, status };
    }, { ...site.options, openTimeoutMs: 2000 });
    console.info(`[${suite.engine.name}] open while an update check of the script hangs: ${JSON.stringify(outcome)}; script requests held ${held.length}`);
    expect(outcome.updateWhenOpened, 'the update check was still pending').toBe('pending');
    expect(outcome).toMatchObject({ status: 404 }); // the service worker's answer
    expect(outcome.ms).toBeLessThan(2000);
    expect(site.origin.log.filter((r) => r.path.includes('/__reprise__/track/'))).toHaveLength(0);
    for (const res of held) res.end();
  });

  suite.test('two pages on one database: one engine writes, each chunk is fetched once', { needs: ['webLocks'] }, async () => {
    site = await startSite(tracks, playlists);
    const [one, two] = [await open(), await open()];
    const roles = [await openCache(one, site.options), await openCache(two, site.options)];
    expect([...roles].sort()).toEqual(['follower', 'leader']);
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

  suite.test('closing the leading page mid-download: the other takes over, still each chunk once', { needs: ['webLocks'] }, async () => {
    const long = makeWav(40, 4); // ~1.7 MB
    site = await startSite([{ id: 'long', body: long }], [{ id: 'mix', trackIds: ['long'] }]);
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
    const leader = await open();
    expect(await openCache(leader, site.options)).toBe('leader');
    const follower = await open();
    expect(await openCache(follower, site.options)).toBe('follower');
    await leader.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
    });
    await leader.waitForFunction(() => (window as never as { events: { type: string; e: { bytesDone: number } }[] }).events.some((x) => x.type === 'progress' && x.e.bytesDone === 6 * 65536));
    await leader.close();
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
    // The leader's request, then the new leader's resume from the chunk the leader did not finish.
    expect(site.origin.requestsFor('/media/long')[1]!.range).toMatch(new RegExp(`^bytes=${6 * CHUNK}-`));
  });
});
