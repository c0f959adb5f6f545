// Lines 6 and 8: memory. (6) The cache worker's heap and the browser's memory (PSS of every
// process) while it downloads one 256 MiB track. (8) Without a service worker
// (`serviceWorker: false`), a 200 MB track played and sought through getTrack() and an object
// URL: how much the browser's memory grows (getTrack() builds the track as one Blob today).
import { bytesOf } from '../helpers/catalog.js';
import { makeWav } from '../helpers/wav.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { memoryMeter } from './lib/procStats.js';
import { attachCacheWorker, type WorkerCdp } from './lib/workerCdp.js';
import { rounds } from './lib/stats.js';

const MIB = 1024 * 1024;

/** The cache worker's used JS heap plus what its objects hold outside it (ArrayBuffers), bytes. */
async function workerHeap(cdp: WorkerCdp): Promise<number> {
  const h = await cdp.call<{ usedSize: number; embedderHeapUsedSize: number; backingStorageSize: number }>('Runtime.getHeapUsage');
  return h.usedSize + h.embedderHeapUsedSize + h.backingStorageSize;
}

export async function downloadMemory(n = 3, trackBytes = 256 * MIB) {
  const body = bytesOf('big', trackBytes);
  const site = await startBenchSite([{ id: 'big', body, mimeType: 'audio/mpeg' }], [{ id: 'p', trackIds: ['big'], offline: true }]);
  try {
    return await rounds(n, async () => {
      const browser = await launch();
      try {
        const page = await openPage(browser.context, site.url);
        await page.evaluate(async (options) => {
          const w = window as never as Record<string, any>;
          w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
        }, site.options);
        const cdp = await attachCacheWorker(browser.context, page);
        await cdp.call('HeapProfiler.collectGarbage');
        const heapBefore = await workerHeap(cdp);
        let heapPeak = heapBefore;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            heapPeak = Math.max(heapPeak, await workerHeap(cdp));
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        const memory = memoryMeter();
        const ms = await page.evaluate(async () => {
          const cache = (window as never as Record<string, any>).cache;
          const t = performance.now();
          await cache.sync();
          await cache.idle();
          return performance.now() - t;
        });
        const pss = memory.stop();
        sampling = false;
        await sampler;
        await cdp.call('HeapProfiler.collectGarbage');
        const retained = (await workerHeap(cdp)) - heapBefore;
        await cdp.detach();
        return { workerHeapGrowth: heapPeak - heapBefore, workerHeapRetained: retained, pssGrowth: pss.growth, mbPerS: trackBytes / 1e6 / (ms / 1000) };
      } finally {
        await browser.close();
      }
    });
  } finally {
    await site.origin.close();
  }
}

/** A playable WAV of `bytes` (PCM 16-bit mono 22.05 kHz; noise after the header). */
function bigWav(bytes: number): Buffer {
  const header = Buffer.from(makeWav(0.001).subarray(0, 44));
  header.writeUInt32LE(bytes - 8, 4);
  header.writeUInt32LE(bytes - 44, 40);
  return Buffer.concat([header, bytesOf('wav', bytes - 44)]);
}

export async function noServiceWorkerMemory(n = 3, trackBytes = 200_000_000) {
  const body = bigWav(trackBytes);
  const site = await startBenchSite([{ id: 'big', body, mimeType: 'audio/wav' }], [{ id: 'p', trackIds: ['big'], offline: true }]);
  try {
    return await rounds(n, async () => {
      const browser = await launch();
      try {
        const page = await openPage(browser.context, site.url);
        await page.evaluate(async (options) => {
          const w = window as never as Record<string, any>;
          w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
          await w.cache.sync();
          await w.cache.idle();
        }, site.options);
        await new Promise((r) => setTimeout(r, 1000)); // let the download's garbage settle before the baseline
        const memory = memoryMeter();
        const r = await page.evaluate(async () => {
          const cache = (window as never as Record<string, any>).cache;
          const t = performance.now();
          const blob: Blob = await cache.getTrack('big');
          const audio = new Audio();
          audio.muted = true;
          audio.src = URL.createObjectURL(blob);
          await audio.play();
          const firstAudioMs = performance.now() - t;
          for (const at of [600, 1800, 3000, 4000, 100]) {
            const seeked = new Promise((resolve) => audio.addEventListener('seeked', resolve, { once: true }));
            audio.currentTime = at;
            await seeked;
          }
          await new Promise((r) => setTimeout(r, 500));
          const played = audio.currentTime;
          audio.pause();
          return { firstAudioMs, played };
        });
        const pss = memory.stop();
        return { pssGrowth: pss.growth, firstAudioMs: r.firstAudioMs, playedTo: r.played };
      } finally {
        await browser.close();
      }
    });
  } finally {
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify({ download: await downloadMemory(1), noServiceWorker: await noServiceWorkerMemory(1) }, null, 1));
