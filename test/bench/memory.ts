// Lines 6 and 8: memory. (6) The cache worker's heap and the browser's memory (PSS of every
// process) while it downloads one 256 MiB track. (8) Without a service worker
// (`serviceWorker: false`), a 200 MB track played and sought through getTrack() and an object
// URL, in Chromium and WebKit: how much the memory of the page's process (the page, its worker,
// the media element) and of every browser process grows (getTrack() composes the track of the
// stored, file-backed chunk Blobs); beside it, the same play and seeks of the origin's URL.
import { bytesOf } from '../helpers/catalog.js';
import { playSeeks, runInPage, runInPersistentWebKit, scenarioTracks, settle } from '../helpers/noServiceWorkerScenario.js';
import { pageProcessGrowth, treeMemoryMeter } from '../helpers/processMemory.js';
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
        // What the worker holds, not what its garbage collector has yet to free: every 5th sample
        // follows a forced collection (the peak above counts both).
        let livePeak = heapBefore;
        let sampling = true;
        const sampler = (async () => {
          for (let k = 1; sampling; k++) {
            if (k % 5 === 0) {
              await cdp.call('HeapProfiler.collectGarbage');
              livePeak = Math.max(livePeak, await workerHeap(cdp));
            } else heapPeak = Math.max(heapPeak, await workerHeap(cdp));
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
        return { workerHeapGrowth: heapPeak - heapBefore, workerHeapLive: livePeak - heapBefore, workerHeapRetained: retained, pssGrowth: pss.growth, mbPerS: trackBytes / 1e6 / (ms / 1000) };
      } finally {
        await browser.close();
      }
    });
  } finally {
    await site.origin.close();
  }
}

/**
 * Line 8: the "no service worker" scenario (test/helpers/noServiceWorkerScenario.ts) with a
 * `trackBytes` WAV, in Chromium (Playwright) and in WebKit (a MiniBrowser with a persistent data
 * store, as in an app): PSS growth of all the browser's processes until getTrack() resolved and
 * to the end of play and 5 seeks, and the time to first audio.
 */
export async function noServiceWorkerMemory(n = 3, trackBytes = 200_000_000) {
  const scenario = scenarioTracks(trackBytes);
  const site = await startBenchSite(scenario.tracks, scenario.playlists);
  try {
    return await rounds(n, async () => {
      // Chromium's media element now and then never fires a seek's `seeked` (the page idle, no
      // CPU): a run that has not ended in 120 s is stopped, counted, and measured again (twice at most).
      const chromiumFailures: string[] = [];
      let chromium: Awaited<ReturnType<typeof runInPage>> | undefined;
      let origin: { whole: number; page: number } | undefined;
      while (!chromium && chromiumFailures.length < 3) {
        const browser = await launch();
        try {
          const page = await openPage(browser.context, site.url);
          chromium = await Promise.race([runInPage(page, site, scenario, 'chromium'), new Promise<undefined>((r) => setTimeout(r, 120_000))]);
          if (chromium) {
            // The baseline: the same play and seeks of the origin's URL, in the same page, measured
            // from a new baseline once the first run's memory settled.
            await settle();
            const meter = treeMemoryMeter();
            const played = await Promise.race([page.evaluate(playSeeks, { url: `${site.origin.url}/media/big`, seeks: scenario.seeks }).then(() => true), new Promise<false>((r) => setTimeout(r, 120_000, false))]);
            const m = meter.stop();
            if (played) origin = { whole: m.growth, page: pageProcessGrowth(m) };
          }
          if (!chromium) {
            const step = await page.evaluate(() => (window as never as { step?: string }).step).catch(() => 'unknown');
            chromiumFailures.push(`did not end within 120 s (at: ${step})`);
            console.log(`  no-sw: Chromium run ${chromiumFailures.at(-1)}, measured again`);
          }
        } finally {
          await browser.close();
        }
      }
      if (!chromium) throw new Error(`no-sw: three Chromium runs did not end: ${chromiumFailures.join('; ')}`);
      // WebKitGTK's media player now and then fails a large Blob with NotSupportedError (media
      // error 4) before playing a byte: that run has no measurement, so it is run again (twice at
      // most) and the failures are counted in the results.
      let webkit = await runInPersistentWebKit(site, scenario);
      const webkitFailures: string[] = [];
      while ((webkit.error || !webkit.growth) && webkitFailures.length < 2) {
        webkitFailures.push(webkit.error ?? 'no measurement');
        console.log(`  no-sw: WebKit run failed (${webkitFailures.at(-1)}), measured again`);
        webkit = await runInPersistentWebKit(site, scenario);
      }
      if (webkit.error || !webkit.growth) webkitFailures.push(webkit.error ?? 'no measurement');
      return {
        pssGrowth: chromium.growth.whole,
        getTrackGrowth: chromium.growth.getTrack,
        pageGrowth: chromium.growth.page,
        pageGetTrackGrowth: chromium.growth.pageGetTrack,
        /** The same play and seeks of the origin's URL (undefined: it did not end within 120 s). */
        origin,
        firstAudioMs: chromium.firstAudioMs,
        chromiumFailedRuns: chromiumFailures,
        chunkValues: chromium.played.kinds,
        // Three failed runs: this round has no WebKit figure (the table says how many rounds do).
        webkit: webkit.growth && !webkit.error
          ? { pssGrowth: webkit.growth.whole, getTrackGrowth: webkit.growth.getTrack, pageGetTrackGrowth: webkit.growth.pageGetTrack, firstAudioMs: webkit.played!.firstAudioMs, chunkValues: webkit.played!.kinds, failedRuns: webkitFailures }
          : { failedRuns: webkitFailures },
      };
    });
  } finally {
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify({ download: await downloadMemory(1), noServiceWorker: await noServiceWorkerMemory(1) }, null, 1));
