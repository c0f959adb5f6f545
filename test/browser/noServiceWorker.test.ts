// Issue 18 item 4: without a service worker (`serviceWorker: false`: WKWebView without
// App-Bound Domains, Capacitor iOS, …) the app plays through getTrack() with memory that does not
// grow with the track's size. A ~100 MB WAV is stored, then played and sought through an object
// URL of getTrack()'s Blob while the PSS of every process of the browser is sampled.
//
// Chromium and Firefox run under their usual drivers (persistent profiles). WebKit runs twice:
// in a MiniBrowser with a persistent data store (as WKWebView and Safari store), where the page
// drives itself (test/helpers/miniBrowser.ts), and under WebDriver, whose session is ephemeral
// and refuses Blob values in IndexedDB: there reprise stores ArrayBuffers and getTrack() still plays.
import { IncomingMessage } from 'node:http';
import { afterEach, expect } from 'vitest';
import { bytesOf } from '../helpers/catalog.js';
import { openPersistentWebKit } from '../helpers/miniBrowser.js';
import { browserTreePss, treeMemoryMeter } from '../helpers/processMemory.js';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openPage, startSite } from './harness.js';

const MB = 1e6;
const TRACK_BYTES = 96 * 1024 * 1024;
const CHUNK = 256 * 1024;
/** The bound on the growth of the page's and the worker's memory (here: all of the browser's). */
const MAX_GROWTH = 32 * MB;

/** A playable WAV of `bytes` (PCM 16-bit mono 22.05 kHz, 44,100 bytes a second; noise after the header). */
function bigWav(bytes: number): Buffer {
  const header = Buffer.from(makeWav(0.001).subarray(0, 44));
  header.writeUInt32LE(bytes - 8, 4);
  header.writeUInt32LE(bytes - 44, 40);
  return Buffer.concat([header, bytesOf('no-sw', bytes - 44)]);
}

const body = bigWav(TRACK_BYTES);
const SECONDS = (TRACK_BYTES - 44) / 44_100;
/** Where the test seeks to, in seconds (forwards, back, near the end). */
const SEEKS = [SECONDS * 0.3, SECONDS * 0.8, 5, SECONDS * 0.55, SECONDS - 20];
/** Byte ranges of the Blob compared with the file (around the seek points and the last bytes). */
const PROBES = SEEKS.map((s) => Math.floor(44 + s * 44_100))
  .concat([TRACK_BYTES - 4096])
  .map((at) => [at, at + 4096] as [number, number]);
const TRACKS = [
  { id: 'big', body, mimeType: 'audio/wav' },
  { id: 'warm', body: makeWav(3), mimeType: 'audio/wav' },
];

interface Played {
  size: number;
  type: string;
  landed: number[];
  probes: string[];
  /** What the store holds: how many chunk values are Blobs, how many ArrayBuffers. */
  kinds: { blob: number; buffer: number };
}

/**
 * In the page: opens the cache without a service worker, stores the playlist, and plays the
 * 3 s track first so that what playing anything costs (the engine's audio output and decoder:
 * Chromium's audio service alone grows ~19 MB) is paid before the baseline.
 */
async function prepare(options: Record<string, unknown>): Promise<void> {
  const w = window as never as Record<string, any>;
  w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
  await w.cache.sync();
  await w.cache.idle();
  const audio = document.getElementById('player') as HTMLAudioElement;
  audio.muted = true;
  audio.src = URL.createObjectURL(await w.cache.getTrack('warm'));
  await audio.play();
  await new Promise<void>((resolve) => audio.addEventListener('timeupdate', () => audio.currentTime > 0.3 && resolve()));
  audio.pause();
}

/** In the page: getTrack('big'), kept as `window.big`. */
async function getBig(): Promise<void> {
  const w = window as never as Record<string, any>;
  w.big = await w.cache.getTrack('big');
}

/** In the page: an object URL of `window.big` played and sought; a few ranges of the Blob read back. */
async function playBig({ seeks, probes }: { seeks: number[]; probes: [number, number][] }): Promise<Played> {
  const blob: Blob = (window as never as { big: Blob }).big;
  const audio = document.getElementById('player') as HTMLAudioElement;
  audio.muted = true;
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
  const url = URL.createObjectURL(blob);
  audio.src = url;
  await audio.play();
  await until(() => audio.currentTime > 0.3);
  const landed: number[] = [];
  for (const at of seeks) {
    const seeked = new Promise((r) => audio.addEventListener('seeked', r, { once: true }));
    audio.currentTime = at;
    await seeked;
    landed.push(audio.currentTime);
    if (audio.paused) await audio.play();
    await until(() => audio.currentTime > at + 0.3); // it plays on from there
  }
  audio.pause();
  const out: string[] = [];
  for (const [from, to] of probes) out.push(await toBase64(blob.slice(from, to)));
  audio.removeAttribute('src');
  audio.load();
  URL.revokeObjectURL(url);
  const db: IDBDatabase = await new Promise((resolve, reject) => {
    const open = indexedDB.open('reprise');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const values: { bytes: unknown }[] = await new Promise((resolve, reject) => {
    const r = db.transaction('chunks').objectStore('chunks').getAll();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  const kinds = { blob: values.filter((v) => v.bytes instanceof Blob).length, buffer: values.filter((v) => v.bytes instanceof ArrayBuffer).length };
  return { size: blob.size, type: blob.type, landed, probes: out, kinds };
}

function checkPlayed(played: Played) {
  expect(played.size).toBe(TRACK_BYTES);
  expect(played.type).toBe('audio/wav');
  played.landed.forEach((t, i) => expect(Math.abs(t - SEEKS[i]!)).toBeLessThan(1));
  played.probes.forEach((b64, i) => expect(Buffer.from(b64, 'base64').equals(body.subarray(PROBES[i]![0], PROBES[i]![1])), `bytes ${PROBES[i]!.join('–')}`).toBe(true));
  expect(played.kinds).toEqual({ blob: Math.ceil(TRACK_BYTES / CHUNK) + 1, buffer: 0 }); // stored as Blobs: disk-backed
}

const mb = (x: number) => (x / MB).toFixed(1);
type Meter = ReturnType<typeof treeMemoryMeter>;
type Measured = ReturnType<Meter['stop']>;

/** Two meters from the same baseline: until getTrack() resolved in the page, and to the end of playing. */
function phasedMeter(root?: number) {
  const whole = treeMemoryMeter(root);
  const getTrack = treeMemoryMeter(root);
  let first: Measured | undefined;
  return {
    gotTrack: () => void (first = getTrack.stop()),
    stop(engine: string): { getTrack: number; whole: number } {
      const all = whole.stop();
      first ??= getTrack.stop();
      const by = Object.entries(all.peakByExe).map(([exe, b]) => `${exe} ${mb(b - (all.baselineByExe[exe] ?? 0))}`);
      console.log(
        `[${engine}] ${mb(TRACK_BYTES)} MB track without a service worker: browser PSS ${mb(all.baseline)} MB; growth until getTrack() resolved ${mb(first.growth)} MB, with play and ${SEEKS.length} seeks ${mb(all.growth)} MB (${by.join(', ')})`,
      );
      return { getTrack: first.growth, whole: all.growth };
    },
  };
}

/**
 * No engine offers page scripts a GC: the baseline is taken once the download's garbage has gone,
 * when the browser's PSS moved less than 1 MB in each of three half-seconds (or after 20 s), so
 * that a collection during the measurement cannot hide growth.
 */
async function settle(root?: number): Promise<void> {
  let last = browserTreePss(root).total;
  for (let calm = 0, waited = 0; calm < 3 && waited < 20_000; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    const now = browserTreePss(root).total;
    calm = Math.abs(now - last) < MB ? calm + 1 : 0;
    last = now;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const part of req) s += String(part);
  return s;
}

eachEngine('without a service worker', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>> | undefined;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
    page = site = undefined;
  });

  if (suite.engine.name !== 'webkit') {
    suite.test(
      `a ${mb(TRACK_BYTES)} MB track plays and seeks from getTrack() with the browser's memory growing ≤ ${MAX_GROWTH / MB} MB`,
      {},
      async () => {
        site = await startSite(TRACKS, [{ id: 'p', trackIds: ['big', 'warm'], offline: true }], CHUNK);
        page = await openPage(suite.browser, site.url);
        await page.evaluate(prepare, site.options);
        expect(site.origin.requestsFor('/media/big').reduce((n, r) => n + r.bytes, 0)).toBe(TRACK_BYTES); // stored whole, once
        await settle();
        const memory = phasedMeter();
        let played: Played;
        let growth: { getTrack: number; whole: number };
        try {
          await page.evaluate(getBig);
          memory.gotTrack();
          played = await page.evaluate(playBig, { seeks: SEEKS, probes: PROBES });
        } finally {
          growth = memory.stop(suite.engine.name);
        }
        expect(growth.getTrack).toBeLessThanOrEqual(MAX_GROWTH);
        expect(growth.whole).toBeLessThanOrEqual(MAX_GROWTH);
        checkPlayed(played);
      },
      300_000,
    );
    return;
  }

  // WebKit with a persistent data store (as WKWebView's default store and Safari keep it): the
  // page runs by itself and reports each step over HTTP. WebKitGTK's media stack (GStreamer)
  // reads a whole WAV into memory as it plays, from any source (an http: URL of the same file
  // grows it as much): only the part until getTrack() resolved is reprise's, and is asserted.
  suite.test(
    `a ${mb(TRACK_BYTES)} MB track: getTrack() gives a Blob that plays and seeks, with memory growing ≤ ${MAX_GROWTH / MB} MB until it resolved (persistent data store, as in an app)`,
    {},
    async () => {
      site = await startSite(TRACKS, [{ id: 'p', trackIds: ['big', 'warm'], offline: true }], CHUNK);
      let memory: ReturnType<typeof phasedMeter> | undefined;
      let browserPid = 0;
      type Outcome = { played?: Played; error?: string };
      let finish!: (o: Outcome) => void;
      const done = new Promise<Outcome>((resolve) => (finish = resolve));
      // The page reports by itself; a page that never does (it crashed) fails the test in time.
      const timer = setTimeout(() => finish({ error: 'the page did not report within 240 s' }), 240_000);
      site.origin.faults.unshift(async (req, res) => {
        const path = new URL(req.url!, 'http://x').pathname;
        if (path === '/step/baseline') {
          await settle(browserPid);
          memory = phasedMeter(browserPid);
        } else if (path === '/step/got') memory?.gotTrack();
        else if (path === '/step/done') finish(JSON.parse(await readBody(req)) as Outcome);
        else return false;
        res.end();
        return true;
      });
      const html = `<!doctype html><meta charset="utf-8"><title>no service worker</title>
<audio id="player" preload="auto"></audio>
<script type="module">
  import { openOfflineCache } from '/reprise/client.js';
  window.openOfflineCache = openOfflineCache;
  window.__name = (fn) => fn;
  window.toBase64 = (blob) => new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(String(r.result).split(',')[1] ?? ''); r.readAsDataURL(blob); });
  const post = (step, body) => fetch('/step/' + step, { method: 'POST', body });
  try {
    await (${String(prepare)})(${JSON.stringify(site.options)});
    await post('baseline', '');
    await (${String(getBig)})();
    await post('got', '');
    const played = await (${String(playBig)})(${JSON.stringify({ seeks: SEEKS, probes: PROBES })});
    await post('done', JSON.stringify({ played }));
  } catch (e) {
    await post('done', JSON.stringify({ error: String((e && e.stack) || e) }));
  }
</script>`;
      site.origin.put('/no-sw.html', html, 'text/html; charset=utf-8');
      const webkit = await openPersistentWebKit(`${site.origin.url}/no-sw.html`);
      browserPid = webkit.pid;
      let outcome: Outcome;
      let growth: { getTrack: number; whole: number } | undefined;
      try {
        outcome = await done;
      } finally {
        clearTimeout(timer);
        growth = memory?.stop('webkit, persistent store');
        await webkit.close();
      }
      if (outcome.error) throw new Error(outcome.error);
      expect(growth!.getTrack).toBeLessThanOrEqual(MAX_GROWTH);
      checkPlayed(outcome.played!);
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
