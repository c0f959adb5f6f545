// Seek cost (issue 18 item 6): time to first byte of a 64 KiB mid-file range from the service
// worker ÷ nginx serving the same file, in Chromium, from the same page. Each sample is a range in
// a chunk the service worker has not read yet ("cold": read from IndexedDB and hashed once),
// then the same range again ("warm": from the verified-chunk cache), then nginx.
// Run: npm run build && npx tsx test/bench/seek.ts
import { bytesOf } from '../helpers/catalog.js';
import { startNginx } from '../helpers/nginx.js';
import { launch, startSite } from '../browser/harness.js';

const CHUNK = 256 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function seekBench(trackBytes = 8 * 1024 * 1024, samples = 24) {
  const body = bytesOf('seek', trackBytes);
  const site = await startSite([{ id: 'seek.mp3', body, mimeType: 'audio/mpeg' }], [{ id: 'p', trackIds: ['seek.mp3'] }], CHUNK);
  const nginx = await startNginx({ '/media/seek.mp3': body }, site.origin.url);
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${nginx.url}/index.html`);
    await page.waitForFunction(() => document.title === 'ready');
    const trackUrl = await page.evaluate(async (options) => {
      const cache = await (window as never as { openOfflineCache: (o: unknown) => Promise<any> }).openOfflineCache(options);
      await cache.sync();
      await cache.setOffline('p', true);
      await cache.idle();
      return cache.trackUrl('seek.mp3') as string;
    }, site.options);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // Mid-file ranges, one per chunk, never chunk 0 or the last (warmed below).
    const offsets = Array.from({ length: samples }, (_x, i) => (i + 2) * CHUNK + 100_000);
    return await page.evaluate(
      async ({ sw, origin, offsets }) => {
        const ttfb = async (url: string, offset: number) => {
          const started = performance.now();
          const response = await fetch(url, { headers: { range: `bytes=${offset}-${offset + 65535}` }, cache: 'no-store' });
          const reader = response.body!.getReader();
          await reader.read();
          const ms = performance.now() - started;
          while (!(await reader.read()).done);
          if (response.status !== 206) throw new Error(`${url}: ${response.status}`);
          return ms;
        };
        await ttfb(sw, 0);
        await ttfb(origin, 0);
        const cold: number[] = [];
        const warm: number[] = [];
        const nginx: number[] = [];
        for (const offset of offsets) {
          cold.push(await ttfb(sw, offset));
          warm.push(await ttfb(sw, offset));
          nginx.push(await ttfb(origin, offset));
        }
        return { cold, warm, nginx };
      },
      { sw: trackUrl, origin: `${nginx.url}/media/seek.mp3`, offsets },
    );
  } finally {
    await browser.close();
    await nginx.stop();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { cold, warm, nginx } = await seekBench();
  const [c, w, n] = [median(cold), median(warm), median(nginx)];
  console.log(`seek TTFB, 64 KiB mid-file range, median of ${nginx.length} (Chromium):`);
  console.log(`  nginx ${n.toFixed(2)} ms; service worker cold (read + hash one 256 KiB chunk) ${c.toFixed(2)} ms, warm (verified cache) ${w.toFixed(2)} ms`);
  console.log(`  SW ÷ nginx: cold ${(c / n).toFixed(2)}, warm ${(w / n).toFixed(2)}`);
}
