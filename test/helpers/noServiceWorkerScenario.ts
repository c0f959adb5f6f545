// The "no service worker" scenario of issue 18 item 4, shared by its browser test
// (test/browser/noServiceWorker.test.ts) and bench line 8 (test/bench/memory.ts): a large WAV is
// stored with `serviceWorker: false`, then getTrack() → object URL → play and seeks, while the
// PSS of every process of the browser is sampled (test/helpers/processMemory.ts). The page
// functions run in Chromium and Firefox through their drivers, and in WebKit in a MiniBrowser with
// a persistent data store, where the page drives itself and reports over HTTP.
import type { IncomingMessage } from 'node:http';
import type { startSite } from '../browser/harness.js';
import { bytesOf } from './catalog.js';
import { openPersistentWebKit } from './miniBrowser.js';
import { browserTreePss, pageProcessGrowth, treeMemoryMeter } from './processMemory.js';
import { makeWav } from './wav.js';

const MB = 1e6;

/** A playable WAV of `bytes` (PCM 16-bit mono 22.05 kHz, 44,100 bytes a second; noise after the header). */
export function bigWav(bytes: number): Buffer {
  const header = Buffer.from(makeWav(0.001).subarray(0, 44));
  header.writeUInt32LE(bytes - 8, 4);
  header.writeUInt32LE(bytes - 44, 40);
  return Buffer.concat([header, bytesOf('no-sw', bytes - 44)]);
}

/** The tracks to publish: `big` and the 3 s `warm` one played first, in one offline playlist. */
export function scenarioTracks(bytes: number) {
  const body = bigWav(bytes);
  const seconds = (bytes - 44) / 44_100;
  /** Where to seek to, in seconds (forwards, back, near the end). */
  const seeks = [seconds * 0.3, seconds * 0.8, 5, seconds * 0.55, seconds - 20];
  /** Byte ranges of the Blob compared with the file (around the seek points and the last bytes). */
  const probes = seeks
    .map((s) => Math.floor(44 + s * 44_100))
    .concat([bytes - 4096])
    .map((at) => [at, at + 4096] as [number, number]);
  return {
    body,
    seeks,
    probes,
    tracks: [
      { id: 'big', body, mimeType: 'audio/wav' },
      { id: 'warm', body: makeWav(3), mimeType: 'audio/wav' },
    ],
    playlists: [{ id: 'p', trackIds: ['big', 'warm'], offline: true }],
  };
}

export interface Played {
  size: number;
  type: string;
  landed: number[];
  probes: string[];
  /** What the store holds: how many chunk values are Blobs, how many ArrayBuffers. */
  kinds: { blob: number; buffer: number };
  /** From the getTrack() call to the first audio (play() resolved). */
  firstAudioMs: number;
  /** Loads of the Blob the player refused (`NotSupportedError`) before one played: WebKitGTK's, docs/playback-url.md. */
  refusedLoads: number;
}

/**
 * In the page: opens the cache without a service worker, stores the playlist, and plays the
 * 3 s track first so that what playing anything costs (the engine's audio output and decoder:
 * Chromium's audio service alone grows ~19 MB) is paid before the baseline.
 */
export async function prepare(options: Record<string, unknown>): Promise<void> {
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
export async function getBig(): Promise<void> {
  const w = window as never as Record<string, any>;
  w.askedAt = performance.now();
  w.big = await w.cache.getTrack('big');
}

/**
 * In the page: `url` (default: an object URL of `window.big`) played and sought to each of `seeks`,
 * played on from each. With the origin's URL of the same file, the baseline of bench line 8.
 */
export async function playSeeks({ seeks, url }: { seeks: number[]; url?: string }): Promise<Pick<Played, 'landed' | 'firstAudioMs' | 'refusedLoads'>> {
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
  const w = window as never as { step: string; askedAt: number; big: Blob };
  const started = url ? performance.now() : w.askedAt; // getTrack() was asked for at askedAt
  let src = url ?? URL.createObjectURL(w.big);
  audio.src = src;
  w.step = 'first play()';
  // As docs/playback-url.md tells an app: WebKitGTK's player refuses some loads of a large Blob
  // (NotSupportedError); a new object URL of the same Blob is tried, twice at most, and counted.
  let refusedLoads = 0;
  for (;;) {
    try {
      await audio.play();
      break;
    } catch (error) {
      if (url || (error as Error).name !== 'NotSupportedError' || refusedLoads === 2) throw error;
      refusedLoads++;
      URL.revokeObjectURL(src);
      audio.src = src = URL.createObjectURL(w.big);
    }
  }
  const firstAudioMs = performance.now() - started;
  await until(() => audio.currentTime > 0.3);
  const landed: number[] = [];
  for (const at of seeks) {
    w.step = `seeking to ${at}`; // where a run that hangs stopped
    const seeked = new Promise((r) => audio.addEventListener('seeked', r, { once: true }));
    audio.currentTime = at;
    await seeked;
    landed.push(audio.currentTime);
    w.step = `playing on from ${at}`;
    if (audio.paused) await audio.play();
    await until(() => audio.currentTime > at + 0.3); // it plays on from there
  }
  audio.pause();
  audio.removeAttribute('src');
  audio.load();
  if (!url) URL.revokeObjectURL(src);
  return { landed, firstAudioMs, refusedLoads };
}

/** In the page: a few ranges of `window.big` read back, and what the store holds (Blob or ArrayBuffer values). */
export async function readBack({ probes }: { probes: [number, number][] }): Promise<Omit<Played, 'landed' | 'firstAudioMs' | 'refusedLoads'>> {
  const blob: Blob = (window as never as { big: Blob }).big;
  const out: string[] = [];
  for (const [from, to] of probes) out.push(await toBase64(blob.slice(from, to)));
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
  return { size: blob.size, type: blob.type, probes: out, kinds };
}

const mb = (x: number) => (x / MB).toFixed(1);
type Meter = ReturnType<typeof treeMemoryMeter>;
type Measured = ReturnType<Meter['stop']>;

/**
 * Two meters from the same baseline: until getTrack() resolved in the page, and to the end of
 * playing; each gives the growth of every browser process (PSS, at the total's peak) and of the
 * page's processes alone (the page, its workers, the media element: {@link pageProcessGrowth}).
 */
export function phasedMeter(root?: number, bytes = 0, seekCount = 0) {
  const whole = treeMemoryMeter(root);
  const getTrack = treeMemoryMeter(root);
  let first: Measured | undefined;
  return {
    gotTrack: () => void (first = getTrack.stop()),
    stop(engine: string): Growth {
      const all = whole.stop();
      first ??= getTrack.stop();
      const by = Object.entries(all.peakByExe).map(([exe, b]) => `${exe} ${mb(b - (all.baselineByExe[exe] ?? 0))}`);
      const growth = { getTrack: first.growth, whole: all.growth, pageGetTrack: pageProcessGrowth(first), page: pageProcessGrowth(all) };
      const ofPage = (g: number) => (Number.isNaN(g) ? '' : ` (the page's process ${mb(g)})`);
      console.log(
        `[${engine}] ${mb(bytes)} MB track without a service worker: browser PSS ${mb(all.baseline)} MB; growth until getTrack() resolved ${mb(first.growth)} MB${ofPage(growth.pageGetTrack)}, with play and ${seekCount} seeks ${mb(all.growth)} MB${ofPage(growth.page)}; each process at its peak: ${by.join(', ')}`,
      );
      return growth;
    },
  };
}

/**
 * No engine offers page scripts a GC: the baseline is taken once the download's garbage has gone,
 * when the browser's PSS moved less than 1 MB in each of three half-seconds (or after 20 s), so
 * that a collection during the measurement cannot hide growth.
 */
export async function settle(root?: number): Promise<void> {
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


/**
 * Memory growth (bytes): of every browser process until getTrack() resolved and to the end of
 * playing, and of the page's processes alone (`pageGetTrack`, `page`; NaN where they are not
 * told apart: Firefox).
 */
export type Growth = { getTrack: number; whole: number; pageGetTrack: number; page: number };

/** Where the page functions run: a driven page's `evaluate`. */
export interface Evaluator {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

/** The scenario in a driven page (Chromium, Firefox): the browser is this process's only one. */
export async function runInPage(page: Evaluator, site: Site, s: ReturnType<typeof scenarioTracks>, label: string): Promise<{ played: Played; growth: Growth; firstAudioMs: number }> {
  await page.evaluate(prepare, site.options as Record<string, unknown>);
  await settle();
  const memory = phasedMeter(undefined, s.body.length, s.seeks.length);
  let played: Played;
  try {
    await page.evaluate(getBig, undefined);
    memory.gotTrack();
    played = { ...(await page.evaluate(playSeeks, { seeks: s.seeks })), ...(await page.evaluate(readBack, { probes: s.probes })) };
  } finally {
    var growth = memory.stop(label);
  }
  return { played, growth, firstAudioMs: played.firstAudioMs };
}

type Site = Pick<Awaited<ReturnType<typeof startSite>>, 'origin' | 'options'>;

/**
 * The scenario in WebKit with a persistent data store (as WKWebView's default store and Safari
 * keep it): a MiniBrowser of its own opens a page that runs prepare(), getBig(), playSeeks() and readBack() by
 * itself and reports each step over HTTP; the memory is that MiniBrowser's and its children's.
 */
/** How long the self-driving WebKit page may take before it counts as hung. */
const PAGE_BOUND_MS = 90_000;

export async function runInPersistentWebKit(site: Site, s: ReturnType<typeof scenarioTracks>, label = 'webkit, persistent store'): Promise<{ played?: Played; error?: string; growth?: Growth }> {
  let memory: ReturnType<typeof phasedMeter> | undefined;
  let browserPid = 0;
  type Outcome = { played?: Played; error?: string };
  let finish!: (o: Outcome) => void;
  const done = new Promise<Outcome>((resolve) => (finish = resolve));
  // The page reports by itself; a page that never does (it crashed, or hung) fails in time, saying
  // the last step it reported. A whole run takes 10–20 s here: 90 s is a hang, not a slow machine
  // (a 240 s bound made one WebKit hang in CI cost 4 minutes of the suite's 10).
  let reached = 'none (the page did not open the cache)';
  const timer = setTimeout(() => finish({ error: `the page did not report within ${PAGE_BOUND_MS / 1000} s; the last step it reported: ${reached}` }), PAGE_BOUND_MS);
  const steps: Parameters<typeof site.origin.faults.unshift>[0] = async (req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === '/step/baseline') reached = 'the track stored (prepare() done); getTrack() did not resolve';
    if (path === '/step/got') reached = 'getTrack() resolved; play and seeks did not end';
    if (path === '/step/baseline') {
      await settle(browserPid);
      memory = phasedMeter(browserPid, s.body.length, s.seeks.length);
    } else if (path === '/step/got') memory?.gotTrack();
    else if (path === '/step/done') finish(JSON.parse(await readBody(req)) as Outcome);
    else return false;
    res.end();
    return true;
  };
  site.origin.faults.unshift(steps);
  const html = `<!doctype html><meta charset="utf-8"><title>no service worker</title>
<audio id="player" preload="auto"></audio>
<script type="module">
  import { openOfflineCache } from '/reprise/client.js';
  window.openOfflineCache = openOfflineCache;
  window.__name = (fn) => fn;
  window.toBase64 = (blob) => new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(String(r.result).split(',')[1] ?? ''); r.readAsDataURL(blob); });
  const post = (step, body) => fetch('/step/' + step, { method: 'POST', body });
  let step = 'prepare()';
  try {
    await (${String(prepare)})(${JSON.stringify(site.options)});
    await post('baseline', '');
    step = 'getBig()';
    await (${String(getBig)})();
    await post('got', '');
    step = 'playSeeks()';
    const played = await (${String(playSeeks)})(${JSON.stringify({ seeks: s.seeks })});
    step = 'readBack()';
    Object.assign(played, await (${String(readBack)})(${JSON.stringify({ probes: s.probes })}));
    await post('done', JSON.stringify({ played }));
  } catch (e) {
    const media = document.getElementById('player').error;
    const player = document.getElementById('player');
    await post('done', JSON.stringify({ error: step + (window.step ? ' (' + window.step + ', at ' + player.currentTime + ' s)' : '') + ': ' + (e && e.name ? e.name + ': ' + e.message + ' at ' + e.stack : String(e)) + (media ? ' (media error ' + media.code + ': ' + media.message + ')' : '') }));
  }
</script>`;
  site.origin.put('/no-sw.html', html, 'text/html; charset=utf-8');
  const webkit = await openPersistentWebKit(`${site.origin.url}/no-sw.html`);
  browserPid = webkit.pid;
  try {
    const outcome = await done;
    return { ...outcome, growth: memory?.stop(label) };
  } finally {
    clearTimeout(timer);
    await webkit.close();
    site.origin.faults.splice(site.origin.faults.indexOf(steps), 1);
  }
}
