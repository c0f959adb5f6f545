// Line 2: seeking in a 64 MiB cached track, in Chromium: time to first byte and to the whole
// body of a 1 MiB Range through reprise's service worker ÷ the same bytes in Cache Storage served
// by workbox-range-requests (its own service worker, scope /wb/) and ÷ nginx serving the file;
// peak memory (PSS) of all browser processes during each method's 20 seeks. Every seek is a
// window no method has read before in the round (reprise's verified-chunk cache starts cold).
import { bytesOf } from '../helpers/catalog.js';
import { startNginx } from '../helpers/nginx.js';
import { launch } from '../browser/harness.js';
import { openPage, readableServiceWorker, startBenchSite } from './lib/benchSite.js';
import { attachServiceWorker, startProfile } from './lib/workerCdp.js';
import { memoryMeter } from './lib/procStats.js';
import { rounds, spread } from './lib/stats.js';

const MIB = 1024 * 1024;
type Method = 'reprise' | 'workbox' | 'nginx';
export interface SeekRound {
  ttfbMs: Record<Method, number>;
  wholeMs: Record<Method, number>;
  peakGrowthBytes: Record<Method, number>;
}

/** With `profile`, the service worker is profiled during reprise's seeks of the first round (names kept: not for timing). */
export async function seekVsWorkbox(n = 3, seeks = 20, trackBytes = 64 * MIB, profile = false) {
  const body = bytesOf('seek64', trackBytes);
  const site = await startBenchSite([{ id: 'seek', body, mimeType: 'audio/mpeg' }], [{ id: 'p', trackIds: ['seek'] }], { readableWorker: profile });
  let swProfile: Awaited<ReturnType<Awaited<ReturnType<typeof startProfile>>['stop']>> | undefined;
  const nginx = await startNginx({ '/media/seek': body }, site.origin.url);
  const browser = await launch();
  try {
    const reprisePage = await openPage(browser.context, `${nginx.url}/index.html`);
    const trackUrl = await reprisePage.evaluate(async (options) => {
      const cache = await (window as never as Record<string, any>).openOfflineCache(options);
      await cache.sync();
      await cache.setOffline('p', true);
      await cache.idle();
      return cache.trackUrl('seek') as string;
    }, site.options);
    await reprisePage.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const workboxPage = await openPage(browser.context, `${nginx.url}/wb/index.html`);
    await workboxPage.evaluate(async () => {
      await navigator.serviceWorker.register('/wb/sw.js', { scope: '/wb/' });
      await navigator.serviceWorker.ready;
      for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 25));
      if (!navigator.serviceWorker.controller) throw new Error('the Workbox service worker never controlled its page');
      await (await caches.open('wb')).put('/wb/media/seek', await fetch('/media/seek'));
    });
    const urls: Record<Method, string> = { reprise: trackUrl, workbox: '/wb/media/seek', nginx: '/media/seek' };
    const pages = { reprise: reprisePage, workbox: workboxPage, nginx: reprisePage };
    const rows = await rounds(n, async (round): Promise<SeekRound> => {
      // Each seek in a window not asked before (nothing warm), while the track has room for them;
      // more rounds than that start over (BENCH_ROUNDS above 3 with 20 seeks in 64 MiB).
      const windows = Math.floor((trackBytes - 4 * MIB) / MIB);
      const offsets = Array.from({ length: seeks }, (_x, k) => 2 * MIB + ((round * seeks + k) % windows) * MIB + 100_000);
      const out = { ttfbMs: {}, wholeMs: {}, peakGrowthBytes: {} } as SeekRound;
      for (const method of ['reprise', 'workbox', 'nginx'] as Method[]) {
        // One unmeasured range first (the start of the file, outside every window): a warm path.
        await pages[method].evaluate(async (url) => void (await (await fetch(url, { headers: { range: 'bytes=0-65535' }, cache: 'no-store' })).arrayBuffer()), urls[method]);
        const memory = memoryMeter();
        const cdp = profile && method === 'reprise' && round === 0 ? await attachServiceWorker(browser.context, reprisePage) : undefined;
        const profiler = cdp ? await startProfile(cdp, await readableServiceWorker()) : undefined;
        const times = await pages[method].evaluate(
          async ({ url, offsets }) => {
            const ttfb: number[] = [];
            const whole: number[] = [];
            for (const offset of offsets) {
              const t = performance.now();
              const response = await fetch(url, { headers: { range: `bytes=${offset}-${offset + 1048575}` }, cache: 'no-store' });
              const reader = response.body!.getReader();
              let got = (await reader.read()).value?.byteLength ?? 0;
              ttfb.push(performance.now() - t);
              for (let r = await reader.read(); !r.done; r = await reader.read()) got += r.value.byteLength;
              whole.push(performance.now() - t);
              if (response.status !== 206 || got !== 1048576) throw new Error(`${url} ${offset}: ${response.status}, ${got} bytes`);
            }
            return { ttfb, whole };
          },
          { url: urls[method], offsets },
        );
        if (profiler) swProfile = await profiler.stop();
        await cdp?.detach();
        out.ttfbMs[method] = spread(times.ttfb).median;
        out.wholeMs[method] = spread(times.whole).median;
        out.peakGrowthBytes[method] = memory.stop().growth;
      }
      return out;
    });
    return { trackBytes, rangeBytes: MIB, seeks, rows, ...(swProfile ? { profile: swProfile } : {}) };
  } finally {
    await browser.close();
    await nginx.stop();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await seekVsWorkbox(Number(process.argv[2] ?? 1)), null, 1));
