import { afterEach, expect } from 'vitest';
import { chunkDigests } from '../helpers/catalog.js';
import { makeMp3 } from '../helpers/nginx.js';
import { until } from '../helpers/wait.js';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openCache, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
// song-a is a real MP3 (the engine's demuxer seeks with Range requests); the others are WAV.
const songs = { 'song-a': await makeMp3(20), 'song-b': makeWav(6, 3), 'song-c': makeWav(6, 1) };
const tracks = [{ id: 'song-a', body: songs['song-a'], mimeType: 'audio/mpeg' }, { id: 'song-b', body: songs['song-b'] }, { id: 'song-c', body: songs['song-c'] }];
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }, { id: 'more', trackIds: ['song-c'] }];

/**
 * Plays `id` from `trackUrl()` until the clock passes 0.5 s, seeks to the middle and plays on past
 * it. Driven by the element's events, not by sleeps: an audio sink without a clock (Firefox on
 * ALSA's null device) plays faster than real time.
 */
async function playAndSeek(page: EnginePage, id: string) {
  return page.evaluate(async (id) => {
    const { cache } = window as never as { cache: any };
    const audio = document.getElementById('player') as HTMLAudioElement;
    const until = (done: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (audio.error) reject(new Error(`media error ${audio.error.code}: ${audio.error.message}`));
          else if (done()) {
            for (const type of ['timeupdate', 'error', 'ended']) audio.removeEventListener(type, check);
            resolve();
          }
        };
        for (const type of ['timeupdate', 'error', 'ended']) audio.addEventListener(type, check);
        check();
      });
    audio.src = cache.trackUrl(id);
    await audio.play();
    await until(() => audio.currentTime > 0.5);
    const middle = audio.duration / 2;
    const seeked = new Promise((r) => audio.addEventListener('seeked', r, { once: true }));
    audio.currentTime = middle;
    await seeked;
    const landed = audio.currentTime;
    if (audio.paused) await audio.play();
    await until(() => audio.currentTime > middle + 0.5);
    audio.pause();
    return { landed, after: audio.currentTime, duration: audio.duration, error: audio.error?.code ?? null };
  }, id);
}

eachEngine('worker, service worker and page client', (suite) => {
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

  suite.test('syncs, keeps a playlist offline, plays an MP3 offline and seeks; the service worker answers 200/206/416/404', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    expect(await openCache(page, site.options)).toBe('leader');
    const report = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const r = await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
      return r;
    });
    expect(report).toMatchObject({ kind: 'none', manifest: 'accepted', toEpoch: 1 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    site.setNetwork('down');
    const sentBefore = site.origin.log.length;
    const played = await playAndSeek(page, 'song-a');
    expect(played.error).toBeNull();
    expect(played.duration).toBeCloseTo(20, 0);
    expect(Math.abs(played.landed - played.duration / 2)).toBeLessThan(0.5); // the seek landed in the middle
    expect(played.after).toBeGreaterThan(played.duration / 2 + 0.5); // and played on from there
    const answers = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const ranged = await fetch(cache.trackUrl('song-a'), { headers: { Range: 'bytes=100000-100099' } });
      // A range over three chunks arrives as a stream, in order.
      const long = await fetch(cache.trackUrl('song-a'), { headers: { Range: 'bytes=60000-200000' } });
      const blob: Blob = await cache.getTrack('song-b');
      const bad = await fetch(cache.trackUrl('song-a'), { headers: { Range: 'bytes=99999999-' } });
      const unknown = await fetch(cache.trackUrl('no-such-track'));
      const whole = await fetch(cache.trackUrl('song-b'));
      return {
        ranged: [ranged.status, ranged.headers.get('content-range'), await toBase64(await ranged.blob())],
        long: [long.status, long.headers.get('content-length'), await toBase64(await long.blob())],
        bytes: await toBase64(blob),
        type: blob.type,
        unsatisfiable: [bad.status, bad.headers.get('content-range')],
        unknown: unknown.status,
        whole: [whole.status, whole.headers.get('content-length'), whole.headers.get('accept-ranges'), whole.headers.get('content-type'), await toBase64(await whole.blob())],
      };
    });
    const a = songs['song-a'];
    const b = songs['song-b'];
    expect(answers.ranged.slice(0, 2)).toEqual([206, `bytes 100000-100099/${a.length}`]);
    expect(Buffer.from(answers.ranged[2] as string, 'base64').equals(a.subarray(100000, 100100))).toBe(true);
    expect(answers.long.slice(0, 2)).toEqual([206, String(200001 - 60000)]);
    expect(Buffer.from(answers.long[2] as string, 'base64').equals(a.subarray(60000, 200001))).toBe(true);
    expect(Buffer.from(answers.bytes, 'base64').equals(b)).toBe(true);
    expect(answers.type).toBe('audio/wav');
    expect(answers.unsatisfiable).toEqual([416, `bytes */${a.length}`]);
    expect(answers.unknown).toBe(404);
    expect(answers.whole.slice(0, 4)).toEqual([200, String(b.length), 'bytes', 'audio/wav']);
    expect(Buffer.from(answers.whole[4] as string, 'base64').equals(b)).toBe(true);
    // Everything came from the service worker: no request reached the (unreachable) origin's
    // /__reprise__/ path, and no media request was even tried.
    const tried = site.origin.log.slice(sentBefore).map((r) => r.path);
    expect(tried.filter((p) => p.startsWith('/__reprise__') || p.startsWith('/media/'))).toEqual([]);
    expect(await page.errors()).toEqual([]);
  });

  suite.test('a track gone from the origin (404) answers 404 at once, and again when play is pressed again within seconds (a new request, not a copy of the first)', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    site.origin.faults.push((req, res) => (new URL(req.url!, site.origin.url).pathname === '/media/song-c' ? (res.writeHead(404).end(), true) : false));
    const page = await open();
    await openCache(page, site.options);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.evaluate(() => (window as never as { cache: any }).cache.sync());
    const asked = () => site.origin.log.filter((r) => r.path === '/media/song-c').length;
    const play = () =>
      page.evaluate(async () => {
        const t = performance.now();
        const answer = await fetch((window as never as { cache: any }).cache.trackUrl('song-c'));
        return [answer.status, Math.round(performance.now() - t)] as const;
      });
    const plays = [await play()];
    // The first play's own request (it may also join a background download's, or ask again if
    // that one had already ended the track: WebKit, once, in a fresh-clone CI run of 76ffdaf).
    // A later report of that same request no longer asks a third time (the engine tries a failed
    // track once per request: 1 run in 3 counted one ask too many in WebKit on e67d0f6).
    await until(() => asked() >= 1, 5000, 'the first play to reach the origin');
    await page.evaluate(() => (window as never as { cache: any }).cache.idle());
    const first = asked();
    plays.push(await play(), await play());
    expect(plays.map(([status]) => status)).toEqual([404, 404, 404]);
    for (const [, ms] of plays) expect(ms).toBeLessThan(5000); // not the 30 s stall timeout (504)
    // A play tries an ended track once more: each play pressed again asks the origin once more.
    // The service worker answers 404 from the ended track's record at once, so that request can
    // reach the origin after the answer (a fresh-clone CI run of c7e1301 in WebKit counted it in
    // the next play's window): the two are counted once both have arrived and the engine is idle.
    await until(() => asked() >= first + 2, 5000, 'the two plays pressed again to reach the origin');
    await page.evaluate(() => (window as never as { cache: any }).cache.idle());
    expect(asked()).toBe(first + 2);
  });

  suite.test('offline after a reload: the stored playlist plays from the service worker with the network down', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    await openCache(page, site.options);
    await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // Only the app shell loads (the app's own cache would serve it); manifest and media are unreachable.
    site.setNetwork('shell-only');
    const beforeReload = site.origin.log.length;
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    await openCache(page, site.options);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const status = await page.evaluate(async () => {
      const s = await (window as never as { cache: any }).cache.status();
      return s.tracks.map((t: { id: string; state: string }) => [t.id, t.state]).sort();
    });
    expect(status).toEqual(expect.arrayContaining([['song-a', 'complete'], ['song-b', 'complete']]));
    const played = await playAndSeek(page, 'song-a');
    expect(played.error).toBeNull();
    expect(played.duration).toBeCloseTo(20, 0);
    expect(Math.abs(played.landed - played.duration / 2)).toBeLessThan(0.5); // the seek landed in the middle
    expect(played.after).toBeGreaterThan(played.duration / 2 + 0.5); // and played on from there
    expect(site.origin.log.slice(beforeReload).filter((r) => r.path.startsWith('/media/') && r.bytes > 0)).toEqual([]); // no media byte sent after the reload
  });

  suite.test('corrupted stored chunks: never served; offline the answer fails in time, online the bad chunks are fetched first', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
    // Short bounds (the defaults: 30 s stall, 6 attempts from 1 s): the same path, in seconds.
    await openCache(page, { ...site.options, stallTimeoutMs: 3000, backoff: { baseMs: 50, capMs: 200, attempts: 3 } });
    await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const b = songs['song-b'];
    const [first, , third] = chunkDigests(b, CHUNK);
    site.setNetwork('down'); // the engine cannot replace the bad chunks yet
    const offline = await page.evaluate(
      async ({ first, third }) => {
        const { cache } = window as never as { cache: any };
        // Flip a byte of two stored chunks, as a failing disk (or another app) would.
        const db: IDBDatabase = await new Promise((resolve, reject) => {
          const open = indexedDB.open('reprise');
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        for (const digest of [first, third] as string[]) {
          // A stored value is a Blob (or an ArrayBuffer in a store written before): read it first.
          const value = await new Promise<{ bytes: ArrayBuffer | Blob }>((resolve, reject) => {
            const get = db.transaction('chunks').objectStore('chunks').get(digest);
            get.onsuccess = () => resolve(get.result);
            get.onerror = () => reject(get.error);
          });
          const bytes = new Uint8Array(value.bytes instanceof Blob ? await value.bytes.arrayBuffer() : value.bytes.slice(0));
          bytes[1000] = bytes[1000]! ^ 0xff;
          await new Promise<void>((resolve, reject) => {
            const tx = db.transaction('chunks', 'readwrite');
            tx.objectStore('chunks').put({ ...value, bytes: bytes.buffer }, digest);
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          });
        }
        db.close();
        /** Reads an answer to the end: its status, the bytes that came (base64) and how it ended. */
        const read = async (init?: RequestInit) => {
          const started = performance.now();
          const r = await fetch(cache.trackUrl('song-b'), init);
          const parts: Uint8Array[] = [];
          let ended = 'complete';
          try {
            const reader = r.body!.getReader();
            for (let x = await reader.read(); !x.done; x = await reader.read()) parts.push(x.value);
          } catch (e) {
            ended = (e as Error).name || 'error';
          }
          return { status: r.status, bytes: await toBase64(new Blob(parts as BlobPart[])), ended, ms: performance.now() - started };
        };
        // Both wait out the same stall, side by side. A range that starts in a good chunk and runs
        // into the bad third one: the good bytes come, then an error.
        const [whole, ranged] = await Promise.all([read(), read({ headers: { Range: `bytes=${65536 + 10}-${3 * 65536 - 1}` } })]);
        return { whole, ranged };
      },
      { first, third },
    );
    // The head chunk is bad: no status line until it is replaced, and offline it never is: 504
    // with a message, no media bytes.
    expect(offline.whole.status).toBe(504);
    expect(Buffer.from(offline.whole.bytes, 'base64').toString()).toMatch(/^reprise: .*"song-b"/);
    expect(offline.ranged.status).toBe(206);
    const good = Buffer.from(offline.ranged.bytes, 'base64');
    expect(good.equals(b.subarray(65536 + 10, 2 * 65536))).toBe(true); // chunk 1 whole, none of chunk 2's bad bytes
    expect(offline.ranged.ended).not.toBe('complete');
    // Never a hang: the engine gives up on the network (3 attempts, each within the 3 s stall bound
    // and a backoff of at most 200 ms: 0.1–1 s here) and the service worker hears it. Not its own
    // 30 s stall bound: WebKit waited that out in most runs after another test, until the engine
    // stopped dropping a want that came while it checked the corrupt chunk (PlaybackService.want).
    for (const answer of [offline.whole, offline.ranged]) expect(answer.ms).toBeLessThan(3 * 3_000 + 3 * 200 + 2_000);

    site.setNetwork('up');
    const online = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const r = await fetch(cache.trackUrl('song-b'));
      const bytes = await toBase64(await r.blob());
      await cache.idle();
      return { status: r.status, bytes };
    });
    expect(online.status).toBe(200);
    expect(Buffer.from(online.bytes, 'base64').equals(b)).toBe(true);
    expect(site.chunkDeliveries('song-b', b.length)).toEqual([2, 1, 2, 1, 1]); // only the two bad chunks again
  });

  suite.test('hybrid apps without a service worker: getTrack() and an object URL play; trackUrl() says why not', {}, async () => {
    site = await startSite(tracks, playlists);
    const page = await open();
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
      audio.pause();
      URL.revokeObjectURL(url);
      const controlled = navigator.serviceWorker?.controller ?? null;
      await cache.close();
      const afterClose = await cache.sync().then(() => 'resolved', (e: Error) => e.name);
      return { trackUrlError, time, controlled: controlled !== null, afterClose };
    }, site.options);
    expect(result).toMatchObject({ trackUrlError: 'invalid-argument', controlled: false, afterClose: 'aborted' });
    expect(result.time).toBeGreaterThan(0.5);
  });
});
