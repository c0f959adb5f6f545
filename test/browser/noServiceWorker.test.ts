// Issue 18 item 4: without a service worker (`serviceWorker: false`: WKWebView without
// App-Bound Domains, Capacitor iOS, …) the app plays through getTrack() with memory that does not
// grow with the track's size. A ~96 MB WAV is stored, then played and sought through an object
// URL of getTrack()'s Blob while the PSS of every process of the browser is sampled.
import { afterEach, expect } from 'vitest';
import { bytesOf } from '../helpers/catalog.js';
import { treeMemoryMeter } from '../helpers/processMemory.js';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openPage, startSite } from './harness.js';

const MB = 1e6;
const TRACK_BYTES = 96 * 1024 * 1024;
const CHUNK = 256 * 1024;
/** The issue's bound on the growth of the page's and the worker's memory (here: all of the browser's). */
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
/** Byte ranges of the Blob compared with the file (around the seek points and the last byte). */
const PROBES = SEEKS.map((s) => Math.floor(44 + s * 44_100)).concat([TRACK_BYTES - 4096]).map((at) => [at, at + 4096] as const);

eachEngine('without a service worker', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>> | undefined;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
    page = site = undefined;
  });

  suite.test(
    `a ${TRACK_BYTES / MB} MB track plays and seeks from getTrack() with the browser's memory growing ≤ ${MAX_GROWTH / MB} MB`,
    {},
    async () => {
      site = await startSite(
        [
          { id: 'big', body, mimeType: 'audio/wav' },
          { id: 'warm', body: makeWav(3), mimeType: 'audio/wav' },
        ],
        [{ id: 'p', trackIds: ['big', 'warm'], offline: true }],
        CHUNK,
      );
      page = await openPage(suite.browser, site.url);
      await page.evaluate(async (options) => {
        const w = window as never as Record<string, any>;
        w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
        await w.cache.sync();
        await w.cache.idle();
        // What playing anything costs (the engine's audio output and decoder: Chromium's audio
        // service alone grows ~19 MB) is paid before the baseline: a 3 s track plays first.
        const audio = document.getElementById('player') as HTMLAudioElement;
        audio.muted = true;
        audio.src = URL.createObjectURL(await w.cache.getTrack('warm'));
        await audio.play();
        await new Promise<void>((resolve) => audio.addEventListener('timeupdate', () => audio.currentTime > 0.3 && resolve()));
        audio.pause();
      }, site.options);
      expect(site.origin.requestsFor('/media/big').reduce((n, r) => n + r.bytes, 0)).toBe(TRACK_BYTES); // stored whole, once
      // Let the download's garbage go before the baseline (no engine offers a GC to page scripts).
      await new Promise((r) => setTimeout(r, 2000));
      const memory = treeMemoryMeter();
      let result: { size: number; type: string; landed: number[]; probes: string[]; error: number | null };
      try {
        result = await page.evaluate(
          async ({ seeks, probes }) => {
            const { cache } = window as never as { cache: any };
            const blob: Blob = await cache.getTrack('big');
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
            return { size: blob.size, type: blob.type, landed, probes: out, error: audio.error?.code ?? null };
          },
          { seeks: SEEKS, probes: PROBES },
        );
      } finally {
        const m = memory.stop();
        const mb = (x: number) => (x / MB).toFixed(1);
        console.log(
          `[${suite.engine.name}] getTrack() of ${mb(TRACK_BYTES)} MB, play and ${SEEKS.length} seeks: browser PSS ${mb(m.baseline)} → peak ${mb(m.peak)} MB, growth ${mb(m.growth)} MB (${Object.entries(m.peakByExe)
            .map(([exe, b]) => `${exe} ${mb(b - (m.baselineByExe[exe] ?? 0))}`)
            .join(', ')})`,
        );
        (globalThis as { lastGrowth?: number }).lastGrowth = m.growth;
      }
      expect(result.size).toBe(TRACK_BYTES);
      expect(result.type).toBe('audio/wav');
      result.landed.forEach((t, i) => expect(Math.abs(t - SEEKS[i]!)).toBeLessThan(1));
      result.probes.forEach((b64, i) => expect(Buffer.from(b64, 'base64').equals(body.subarray(PROBES[i]![0], PROBES[i]![1]))).toBe(true));
      expect((globalThis as { lastGrowth?: number }).lastGrowth).toBeLessThanOrEqual(MAX_GROWTH);
    },
    300_000,
  );
});
