// Issue 19 in the browser: the app's authorize() runs on the page (a comlink proxy from the cache
// worker), answers manifest and media requests, and a refused token pauses without losing work.
import { afterEach, expect } from 'vitest';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openPage, startSite } from './harness.js';

const songs = { 'song-a': makeWav(4, 0), 'song-b': makeWav(4, 2) };
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }];

eachEngine('authorize()', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
  });

  suite.test('the page answers every manifest and media request with a bearer token; a stale one makes sync() reject unauthorized while the stored manifest serves; signed in again only the change is fetched; no token stored or emitted', {}, async () => {
    site = await startSite(Object.entries(songs).map(([id, body]) => ({ id, body })), playlists);
    let token = 'SECRET-1';
    const refused: string[] = [];
    site.origin.faults.push((req, res) => {
      const path = new URL(req.url!, site.origin.url).pathname;
      if (path !== '/manifest.jws' && !path.startsWith('/media/')) return false;
      if (req.headers.authorization === `Bearer ${token}`) return false;
      refused.push(path);
      res.writeHead(401).end();
      return true;
    });
    page = await openPage(suite.browser, site.url);
    await page.evaluate(async (options) => {
      const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any; events: unknown[]; token: string; calls: unknown[] };
      w.token = 'SECRET-1';
      w.calls = [];
      w.cache = await w.openOfflineCache({
        ...options,
        authorize: (r: { kind: string; trackId?: string; attempt: number }) => {
          w.calls.push({ kind: r.kind, trackId: r.trackId, attempt: r.attempt });
          return { headers: { Authorization: `Bearer ${w.token}` } };
        },
      });
      for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset']) w.cache.on(type, (e: unknown) => w.events.push({ type, e }));
      await w.cache.sync();
      await w.cache.setOffline('mix', true);
      await w.cache.idle();
    }, site.options);
    const first = await page.evaluate(async () => {
      const w = window as never as { cache: any; calls: { kind: string; trackId?: string }[] };
      const s = await w.cache.status();
      return { states: s.tracks.map((t: { state: string }) => t.state), kinds: [...new Set(w.calls.map((c) => `${c.kind}:${c.trackId ?? ''}`))].sort() };
    });
    expect(first.states).toEqual(['complete', 'complete']);
    expect(first.kinds).toEqual(['manifest:', 'media:song-a', 'media:song-b']);
    expect(refused).toEqual([]);

    // The session ends on the server; the page still holds the old token. A new track is published.
    token = 'SECRET-2';
    await site.publish([{ id: 'song-a', body: songs['song-a'] }, { id: 'song-b', body: makeWav(5, 3) }], 2);
    const stale = await page.evaluate(async () => {
      const w = window as never as { cache: any; events: { type: string; e: any }[] };
      const error = await w.cache.sync().then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
      const play = await w.cache.getTrack('song-a').then((b: Blob) => b.size, (e: Error) => e.name);
      return { error, play };
    });
    expect(stale.error?.name).toBe('unauthorized'); // the manifest refused twice: the app must sign the user in
    expect(typeof stale.play).toBe('number'); // the stored manifest keeps serving
    expect(refused.filter((p) => p === '/manifest.jws')).toHaveLength(2); // asked again once with attempt + 1

    // Signed in again: the sync goes on and fetches only the changed track.
    site.origin.log.length = 0;
    const after = await page.evaluate(async () => {
      const w = window as never as { cache: any; events: { type: string; e: any }[]; token: string };
      w.token = 'SECRET-2';
      const report = await w.cache.sync();
      await w.cache.idle();
      const s = await w.cache.status();
      const keys: string[] = await new Promise((resolve, reject) => {
        const open = indexedDB.open('reprise');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames].filter((n) => n !== 'chunks');
          const tx = db.transaction(names, 'readonly');
          const out: string[] = [];
          for (const n of names) {
            const r = tx.objectStore(n).getAll();
            r.onsuccess = () => out.push(JSON.stringify(r.result));
          }
          tx.oncomplete = () => (db.close(), resolve(out));
        };
      });
      return { kind: report.kind, states: s.tracks.map((t: { state: string }) => t.state), stored: keys.join('\n'), events: JSON.stringify(w.events) };
    });
    expect(after.kind).toBe('security-epoch');
    expect(after.states).toEqual(['complete', 'complete']);
    expect(new Set(site.origin.log.filter((r) => r.path.startsWith('/media/')).map((r) => r.path))).toEqual(new Set(['/media/song-b']));
    expect(after.stored).not.toContain('SECRET');
    expect(after.events).not.toContain('SECRET');
  });

  suite.test('a track the origin refuses for itself (a region lock) answers 401 at once through the service worker and ends alone unauthorized; the playlist downloads on, never paused, and a play once it is complete is judged by one byte of a stored track', {}, async () => {
    const offline = ['o1', 'o2', 'o3', 'o4'].map((id, i) => ({ id, body: makeWav(6, i) }));
    const total = offline.reduce((n, t) => n + t.body.length, 0);
    site = await startSite([...offline, { id: 'locked', body: makeWav(3, 9) }], [{ id: 'mix', trackIds: offline.map((t) => t.id) }, { id: 'abroad', trackIds: ['locked'] }]);
    site.origin.faults.push((req, res) => (new URL(req.url!, site.origin.url).pathname === '/media/locked' ? (res.writeHead(403).end(), true) : false));
    page = await openPage(suite.browser, site.url);
    const seen = await page.evaluate(
      async ({ options, bytesPerSecond }) => {
        const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any };
        const events: { type: string; e: any }[] = [];
        w.cache = await w.openOfflineCache({ ...options, throttle: { maxConcurrent: 2, bytesPerSecond }, authorize: () => ({ headers: { Authorization: 'Bearer t' } }) });
        for (const type of ['track-failed', 'state']) w.cache.on(type, (e: unknown) => events.push({ type, e }));
        await w.cache.sync();
        await w.cache.setOffline('mix', true); // about 1.5 s of downloads at the cap
        const t = performance.now();
        const answer = await fetch(w.cache.trackUrl('locked'));
        const ms = performance.now() - t;
        await w.cache.idle();
        const s = await w.cache.status();
        // Played again once the playlist is complete: no download is left to judge the refusal by.
        const t2 = performance.now();
        const again = await fetch(w.cache.trackUrl('locked'));
        const againMs = performance.now() - t2;
        await w.cache.idle();
        // Events come on their own channel: the verdict's may follow idle()'s answer by a moment.
        const failedTwice = () => events.filter((x) => x.type === 'track-failed').length >= 2;
        for (const end = performance.now() + 5000; !failedTwice() && performance.now() < end; ) await new Promise((r) => setTimeout(r, 20));
        return { status: answer.status, again: again.status, ms, againMs, events, complete: s.tracks.filter((x: { state: string }) => x.state === 'complete').map((x: { id: string }) => x.id).sort() };
      },
      { options: site.options, bytesPerSecond: Math.floor(total / 1.5) },
    );
    expect(seen.status).toBe(401);
    expect(seen.ms).toBeLessThan(5000); // not the stall timeout: the engine said so at once
    expect(seen.again).toBe(401); // played again within seconds: a new request, acted on (not taken for a copy of the first)
    expect(seen.againMs).toBeLessThan(5000);
    // Each play tried it once more; the second verdict came from one byte of a stored track.
    expect(seen.events.filter((x) => x.type === 'track-failed').map((x) => [x.e.trackId, x.e.code])).toEqual([['locked', 'unauthorized'], ['locked', 'unauthorized']]);
    expect(seen.events.filter((x) => x.type === 'state' && x.e.state === 'paused')).toEqual([]);
    expect(site.origin.log.filter((r) => r.range === 'bytes=0-0').length).toBeGreaterThanOrEqual(1);
    expect(seen.complete).toEqual(['o1', 'o2', 'o3', 'o4']);
  });
});
