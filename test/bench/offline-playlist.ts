// Line 1: making a playlist offline, uncapped, in Chromium: reprise (cache worker, IndexedDB,
// every chunk verified) ÷ `cache.put(url, await fetch(url))` into Cache Storage (what Workbox
// precaching boils down to) and ÷ a naive fetch → SHA-256 → one IndexedDB put per track. Same
// bytes, same browser, 3 requests at a time for all three; CPU of every browser process.
import { bytesOf } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { cacheStoragePut, timeMethods } from './lib/methodRounds.js';
import { rounds } from './lib/stats.js';

type Method = 'reprise' | 'cacheStorage' | 'naiveIdb';
export interface OfflinePlaylistRound {
  mbPerS: Record<Method, number>;
  cpuMsPerMb: Record<Method, number>;
  /** CPU ms per MB by kind of browser process (browser: IndexedDB's backend, Cache Storage, the network stack's client side). */
  cpuMsPerMbByProcess: Record<Method, Record<string, number>>;
}

export async function offlinePlaylist(n = 3, tracks = 16, trackBytes = 6_000_000) {
  const ids = Array.from({ length: tracks }, (_, i) => `o${i}`);
  const site = await startBenchSite(ids.map((id) => ({ id, body: bytesOf(id, trackBytes), mimeType: 'audio/mpeg' })), [{ id: 'all', trackIds: ids }]);
  const mb = (tracks * trackBytes) / 1e6;
  try {
    const rows = await rounds(n, async (round): Promise<OfflinePlaylistRound> => {
      const browser = await launch();
      try {
        const page = await openPage(browser.context, site.url);
        await page.evaluate(async (options) => {
          const w = window as never as Record<string, any>;
          w.cache = await w.openOfflineCache({ ...options, serviceWorker: false, throttle: { maxConcurrent: 3 } });
          await w.cache.sync();
          // Warm the origin's and the page's connections with one track, then forget it.
          await (await fetch('/media/o0', { cache: 'no-store' })).arrayBuffer();
        }, site.options);
        const run: Record<Method, () => Promise<number>> = {
          reprise: () =>
            page.evaluate(async () => {
              const cache = (window as never as Record<string, any>).cache;
              const t = performance.now();
              await cache.setOffline('all', true);
              await cache.idle();
              return performance.now() - t;
            }),
          cacheStorage: () => cacheStoragePut(page, ids, 'peer'),
          naiveIdb: () =>
            page.evaluate(async (ids) => {
              const db: IDBDatabase = await new Promise((resolve) => {
                const open = indexedDB.open('naive', 1);
                open.onupgradeneeded = () => open.result.createObjectStore('tracks');
                open.onsuccess = () => resolve(open.result);
              });
              const queue = [...ids];
              const t = performance.now();
              await Promise.all([0, 1, 2].map(async () => {
                for (let id = queue.shift(); id; id = queue.shift()) {
                  const bytes = await (await fetch(`/media/${id}`, { cache: 'no-store' })).arrayBuffer();
                  const digest = await crypto.subtle.digest('SHA-256', bytes);
                  await new Promise<void>((resolve, reject) => {
                    const tx = db.transaction('tracks', 'readwrite');
                    tx.objectStore('tracks').put({ bytes, digest }, id);
                    tx.oncomplete = () => resolve();
                    tx.onerror = () => reject(tx.error);
                  });
                }
              }));
              db.close();
              return performance.now() - t;
            }, ids),
        };
        const timed = await timeMethods(['reprise', 'cacheStorage', 'naiveIdb'] as const, round, (method) => run[method]());
        const out = { mbPerS: {}, cpuMsPerMb: {}, cpuMsPerMbByProcess: {} } as OfflinePlaylistRound;
        for (const [method, t] of Object.entries(timed) as [Method, (typeof timed)[Method]][]) {
          out.cpuMsPerMb[method] = t.cpuMs / mb;
          out.cpuMsPerMbByProcess[method] = Object.fromEntries(Object.entries(t.cpuMsByKind).map(([kind, ms]) => [kind, ms / mb]));
          out.mbPerS[method] = mb / (t.ms / 1000);
        }
        return out;
      } finally {
        await browser.close();
      }
    });
    return { tracks, trackBytes, rows };
  } finally {
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await offlinePlaylist(Number(process.argv[2] ?? 1)), null, 1));
