// Engine throughput in Chromium with its real IndexedDB (the cache worker, as an app runs it),
// beside a raw fetch of the same bytes from the same page. Run: npm run bench -- browser
import { bytesOf } from '../helpers/catalog.js';
import { launch, startSite } from '../browser/harness.js';

export async function browserThroughput(tracks = 24, trackBytes = 8 * 1024 * 1024) {
  const ids = Array.from({ length: tracks }, (_, i) => `b${i}`);
  const site = await startSite(
    ids.map((id) => ({ id, body: bytesOf(id, trackBytes), mimeType: 'audio/mpeg' })),
    [{ id: 'all', trackIds: ids }],
    256 * 1024,
  );
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => document.title === 'ready');
    return await page.evaluate(
      async ({ options, ids, bytes }) => {
        /** Runs `each` over every track body, three at a time; returns bytes per second. */
        const rateOf = async (each: (id: string, reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>) => {
          const queue = [...ids];
          const started = performance.now();
          await Promise.all(
            [0, 1, 2].map(async () => {
              for (let id = queue.shift(); id; id = queue.shift()) await each(id, (await fetch(`/media/${id}`, { cache: 'no-store' })).body!.getReader());
            }),
          );
          return bytes / ((performance.now() - started) / 1000);
        };
        const raw = () =>
          rateOf(async (_id, reader) => {
            while (!(await reader.read()).done);
          });
        // The least any verified store must do, in the page: fetch, cut, SHA-256, put 16 a transaction.
        const bare = async () => {
          const db: IDBDatabase = await new Promise((resolve) => {
            const open = indexedDB.open('bare', 1);
            open.onupgradeneeded = () => open.result.createObjectStore('c');
            open.onsuccess = () => resolve(open.result);
          });
          const rate = await rateOf(async (id, reader) => {
            let chunk = new Uint8Array(262144);
            let fill = 0;
            let batch: ArrayBuffer[] = [];
            const hashes: Promise<ArrayBuffer>[] = [];
            const put = (b: ArrayBuffer[]) =>
              new Promise<void>((resolve) => {
                const tx = db.transaction('c', 'readwrite', { durability: 'relaxed' });
                b.forEach((x, k) => tx.objectStore('c').put({ bytes: x }, `${id}:${hashes.length}:${k}`));
                tx.oncomplete = () => resolve();
              });
            for (let r = await reader.read(); !r.done; r = await reader.read()) {
              for (let off = 0; off < r.value.byteLength; ) {
                const take = Math.min(r.value.byteLength - off, 262144 - fill);
                chunk.set(r.value.subarray(off, off + take), fill);
                fill += take;
                off += take;
                if (fill === 262144) {
                  hashes.push(crypto.subtle.digest('SHA-256', chunk.buffer));
                  batch.push(chunk.buffer);
                  if (batch.length === 16) (await put(batch), (batch = []));
                  chunk = new Uint8Array(262144);
                  fill = 0;
                }
              }
            }
            await Promise.all(hashes);
            if (batch.length) await put(batch);
          });
          db.close();
          return rate;
        };
        const w = window as never as { openOfflineCache: (o: unknown) => Promise<any> };
        const cache = await w.openOfflineCache({ ...options, serviceWorker: false, throttle: { maxConcurrent: 3 } });
        await raw(); // warm-up
        const rawRate = await raw();
        await cache.sync();
        const started = performance.now();
        await cache.setOffline('all', true);
        await cache.idle();
        const engineRate = bytes / ((performance.now() - started) / 1000);
        const rawAfter = await raw();
        await cache.close();
        const bareRate = await bare();
        return { rawRate: Math.max(rawRate, rawAfter), bareRate, engineRate };
      },
      { options: site.options, ids, bytes: tracks * trackBytes },
    );
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

export function printBrowserThroughput(r: Awaited<ReturnType<typeof browserThroughput>>) {
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB/s`;
  console.log(`\nChromium, real IndexedDB, 192 MiB in 256 KiB chunks, 3 at a time (cache worker; raw fetch from the page):`);
  console.log(`  raw fetch ${mb(r.rawRate)}; bare fetch + SHA-256 + put in the page ${mb(r.bareRate)}; engine ${mb(r.engineRate)}`);
  console.log(`  engine ÷ raw = ${(r.engineRate / r.rawRate).toFixed(2)}, engine ÷ bare = ${(r.engineRate / r.bareRate).toFixed(2)} (fetching while IndexedDB writes, on 2 cores shared with the origin)`);
}
