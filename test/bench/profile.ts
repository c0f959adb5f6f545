// Where the cache worker's time goes (Chromium, CDP Profiler in the worker, a bundle with names
// kept): top self-time functions while it makes 16 × 6 MB offline (line 1) and while it
// verifies that store (line 3), during the first sync of 10,000 tracks (line 5), the service worker
// while it plays a damaged track (line 7) and serves 20 seeks (line 2), and the CPU of each kind of browser process meanwhile (the
// browser process runs IndexedDB's backend and the network). One run each, outside the timed rounds.
import { bytesOf } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, readableCacheWorker, startBenchSite } from './lib/benchSite.js';
import { cpuMeter } from './lib/procStats.js';
import { attachCacheWorker, profileWorker } from './lib/workerCdp.js';
import { publishLibrary } from './large-library.js';
import { playWhileMissing } from './play-missing.js';
import { seekVsWorkbox } from './seek-workbox.js';

export async function profileCacheWorker(tracks = 16, trackBytes = 6_000_000) {
  const ids = Array.from({ length: tracks }, (_, i) => `q${i}`);
  const site = await startBenchSite(ids.map((id) => ({ id, body: bytesOf(id, trackBytes), mimeType: 'audio/mpeg' })), [{ id: 'all', trackIds: ids }], { readableWorker: true });
  const browser = await launch();
  try {
    const page = await openPage(browser.context, site.url);
    await page.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false, throttle: { maxConcurrent: 3 } });
      await w.cache.sync();
    }, site.options);
    const cdp = await attachCacheWorker(browser.context, page);
    const cacheCall = (what: 'download' | 'verify') =>
      page.evaluate(async (what) => {
        const cache = (window as never as Record<string, any>).cache;
        const t = performance.now();
        if (what === 'download') await cache.setOffline('all', true).then(() => cache.idle());
        else await cache.verify();
        return performance.now() - t;
      }, what);
    const bundle = await readableCacheWorker();
    const profiled = async (what: 'download' | 'verify') => {
      const cpu = cpuMeter();
      const r = await profileWorker(cdp, () => cacheCall(what), bundle);
      return { ms: r.value, cpuMsByProcess: cpu.byKind(), top: r.top };
    };
    const download = await profiled('download');
    const verify = await profiled('verify');
    await cdp.detach();
    const play = (await playWhileMissing(1, { profile: true })).rows[0]!;
    const playProfile = (top: NonNullable<typeof play.profile>['serviceWorker']) => ({ ms: play.repriseMs, cpuMsByProcess: {}, top });
    return {
      download,
      verify,
      'first sync of 10,000 tracks, format 1': await profileSync(1),
      'first sync of 10,000 tracks, format 2': await profileSync(2),
      'play while missing: the service worker': playProfile(play.profile!.serviceWorker),
      'play while missing: the cache worker': playProfile(play.profile!.cacheWorker),
      'seek (line 2): the service worker, 20 ranges of 1 MiB': seekProfile(await seekVsWorkbox(1, 20, 64 * 1024 * 1024, true)),
    };
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

/** The service worker's self time during reprise's timed seeks (the wall time is the 20 seeks' sum of whole-body times). */
function seekProfile(r: Awaited<ReturnType<typeof seekVsWorkbox>>) {
  const row = r.rows[0]!;
  return { ms: row.wholeMs.reprise * r.seeks, cpuMsByProcess: {}, top: r.profile! };
}

/** The cache worker's profile during the first sync of the large library (line 5). */
async function profileSync(format: 1 | 2) {
  const site = await publishLibrary(format, 10_000, true);
  const browser = await launch();
  try {
    const page = await openPage(browser.context, site.url);
    await page.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
    }, site.options);
    const cdp = await attachCacheWorker(browser.context, page);
    const cpu = cpuMeter();
    const r = await profileWorker(cdp, () => page.evaluate(async () => {
      const t = performance.now();
      await (window as never as Record<string, any>).cache.sync();
      return performance.now() - t;
    }), await readableCacheWorker());
    await cdp.detach();
    return { ms: r.value, cpuMsByProcess: cpu.byKind(), top: r.top };
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await profileCacheWorker(), null, 1));
