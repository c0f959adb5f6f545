// Issue 18 item 4: without a service worker (`serviceWorker: false`: WKWebView without
// App-Bound Domains, Capacitor iOS, …) the app plays through getTrack() with memory that does not
// grow with the track's size. A ~100 MB WAV is stored, then played and sought through an object
// URL of getTrack()'s Blob while the PSS of every process of the browser is sampled.
//
// Chromium and Firefox run under their usual drivers (persistent profiles); Firefox gets one
// in-memory Blob (a seek inside a composed one lands elsewhere there: docs/playback-url.md). WebKit runs twice:
// in a MiniBrowser with a persistent data store (as WKWebView and Safari store), where the page
// drives itself (test/helpers/miniBrowser.ts), and under WebDriver, whose session is ephemeral
// and refuses Blob values in IndexedDB: there reprise stores ArrayBuffers and getTrack() still plays.
import { afterEach, expect } from 'vitest';
import { type Played, runInPage, runInPersistentWebKit, scenarioTracks } from '../helpers/noServiceWorkerScenario.js';
import { type EnginePage, eachEngine, openPage, startSite } from './harness.js';

const MB = 1e6;
const TRACK_BYTES = 96 * 1024 * 1024;
const CHUNK = 256 * 1024;
/** The bound on the growth of the page's and the worker's memory (here: all of the browser's). */
const MAX_GROWTH = 32 * MB;
const scenario = scenarioTracks(TRACK_BYTES);
const { body, tracks: TRACKS, playlists } = scenario;
const mb = (x: number) => (x / MB).toFixed(1);

function checkPlayed(played: Played, s: { seeks: number[]; probes: [number, number][] }) {
  expect(played.size).toBe(TRACK_BYTES);
  expect(played.type).toBe('audio/wav');
  expect(played.landed).toHaveLength(s.seeks.length);
  played.landed.forEach((t, i) => expect(Math.abs(t - s.seeks[i]!)).toBeLessThan(1));
  played.probes.forEach((b64, i) => expect(Buffer.from(b64, 'base64').equals(body.subarray(s.probes[i]![0], s.probes[i]![1])), `bytes ${s.probes[i]!.join('–')}`).toBe(true));
  expect(played.kinds).toEqual({ blob: Math.ceil(TRACK_BYTES / CHUNK) + 1, buffer: 0 }); // stored as Blobs: disk-backed
}

eachEngine('without a service worker', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>> | undefined;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
    page = site = undefined;
  });

  if (suite.engine.name === 'chromium') {
    suite.test(
      `a ${mb(TRACK_BYTES)} MB track plays and seeks from getTrack(): memory growing ≤ ${MAX_GROWTH / MB} MB until it resolved, far less than the track with play and seeks`,
      {},
      async () => {
        site = await startSite(TRACKS, playlists, CHUNK);
        page = await openPage(suite.browser, site.url);
        const { played, growth } = await runInPage(page, site, scenario, suite.engine.name);
        expect(site.origin.requestsFor('/media/big').reduce((n, r) => n + r.bytes, 0)).toBe(TRACK_BYTES); // stored whole, once
        // reprise's part, the Blob made and handed over, within the bound; with play and
        // seeks the renderer's media pipeline buffers too (2.5–7 MB in most runs, 35 MB once in a
        // fresh-clone CI run): bounded here well under the track's size (c44d3f7 grew 417 MB), and
        // measured against 32 MB by the benchmark with a 200 MB track (line 8: 3.1 MB).
        expect(growth.getTrack).toBeLessThanOrEqual(MAX_GROWTH);
        expect(growth.pageGetTrack).toBeLessThanOrEqual(MAX_GROWTH); // the page's process: the page and its worker
        expect(growth.whole).toBeLessThanOrEqual(TRACK_BYTES / 2);
        expect(played.refusedLoads).toBe(0); // only WebKitGTK's player refuses a Blob's load
        checkPlayed(played, scenario);
      },
      300_000,
    );
    return;
  }

  if (suite.engine.name === 'firefox') {
    // Firefox seeks a WAV from an http: URL, but a seek inside a Blob composed of many parts lands
    // elsewhere: there getTrack() gives the verified bytes as one in-memory Blob
    // (composedBlobsSeek() in src/engine/platform.ts; docs/playback-url.md). It plays and seeks
    // exactly; memory grows with the track (printed, not bounded: issue 18 bounds WebKit and Chromium).
    suite.test(
      `a ${mb(TRACK_BYTES)} MB track: getTrack() gives one Blob that plays and seeks where asked`,
      {},
      async () => {
        site = await startSite(TRACKS, playlists, CHUNK);
        page = await openPage(suite.browser, site.url);
        const { played, growth } = await runInPage(page, site, scenario, suite.engine.name);
        console.info(`[firefox] no service worker, ${mb(TRACK_BYTES)} MB track: memory growth until getTrack() resolved ${mb(growth.getTrack)} MB (one in-memory Blob)`);
        checkPlayed(played, scenario);
      },
      300_000,
    );
    return;
  }

  // WebKit with a persistent data store (as WKWebView's default store and Safari keep it).
  // WebKitGTK's media stack (GStreamer) reads a whole WAV into memory as it plays, from any source
  // (an http: URL of the same file grows it as much): only the part until getTrack() resolved is
  // reprise's, and is asserted.
  suite.test(
    `a ${mb(TRACK_BYTES)} MB track: getTrack() gives a Blob that plays and seeks, with memory growing ≤ ${MAX_GROWTH / MB} MB until it resolved (persistent data store, as in an app)`,
    {},
    async () => {
      site = await startSite(TRACKS, playlists, CHUNK);
      const outcome = await runInPersistentWebKit(site, scenario);
      if (outcome.error) throw new Error(outcome.error);
      console.info(`[webkit] no service worker: loads of the ${mb(TRACK_BYTES)} MB Blob the player refused before one played: ${outcome.played!.refusedLoads} (a new object URL each time, as docs/playback-url.md tells an app)`);
      expect(outcome.growth!.getTrack).toBeLessThanOrEqual(MAX_GROWTH);
      expect(outcome.growth!.pageGetTrack).toBeLessThanOrEqual(MAX_GROWTH); // the web process: the page and its worker
      checkPlayed(outcome.played!, scenario);
    },
    300_000,
  );

  // WebKit under WebDriver: an ephemeral session (IndexedDB in memory, no Blob values).
  suite.test('an ephemeral session that refuses Blob values stores ArrayBuffers, and getTrack() plays', {}, async () => {
    site = await startSite([TRACKS[1]!], [{ id: 'p', trackIds: ['warm'], offline: true }], 64 * 1024);
    page = await openPage(suite.browser, site.url);
    const r = await page.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
      await w.cache.sync();
      await w.cache.idle();
      const blob: Blob = await w.cache.getTrack('warm');
      const audio = document.getElementById('player') as HTMLAudioElement;
      audio.muted = true;
      audio.src = URL.createObjectURL(blob);
      await audio.play();
      await new Promise<void>((resolve) => audio.addEventListener('timeupdate', () => audio.currentTime > 0.3 && resolve()));
      audio.pause();
      const db: IDBDatabase = await new Promise((resolve, reject) => {
        const open = indexedDB.open('reprise');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const values: { bytes: unknown }[] = await new Promise((resolve, reject) => {
        const q = db.transaction('chunks').objectStore('chunks').getAll();
        q.onsuccess = () => resolve(q.result);
        q.onerror = () => reject(q.error);
      });
      db.close();
      return { bytes: await toBase64(blob), buffers: values.filter((v) => v.bytes instanceof ArrayBuffer).length, values: values.length };
    }, site.options);
    expect(Buffer.from(r.bytes, 'base64').equals(TRACKS[1]!.body)).toBe(true);
    expect(r.values).toBeGreaterThan(0);
    expect(r.buffers).toBe(r.values);
  });
});
