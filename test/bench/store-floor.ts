// Line 9 (issue 16 item 2, "where IndexedDB itself is the limit"): what any pipeline that verifies
// bytes in script before it stores them can reach here, beside Cache Storage's put (which never
// brings a body into script). Same 16 × 6 MB, 3 requests at a time, one Chromium per round:
//   Cache Storage put            `cache.put(url, await fetch(url))` in the page (line 1's peer);
//   read into a worker           fetch and read every body into a dedicated worker, nothing else;
//   + SHA-256 + OPFS, per track  and hash each 256 KiB, and write it with a sync access handle
//                                into one file per track (the origin private file system);
//   + SHA-256 + OPFS, per chunk  the same into one file per chunk, named by its digest (the layout
//                                tried behind reprise's store: see docs/benchmarks.md). In
//                                Chromium 156 here this pattern now and then stops: the worker
//                                idle, a file call never settling. A run that has not ended in
//                                HANG_MS is stopped (its worker terminated) and counted as hung.
const HANG_MS = 60_000;
import { bytesOf } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { cacheStoragePut, timeMethods } from './lib/methodRounds.js';
import { rounds } from './lib/stats.js';

export type FloorMethod = 'cacheStorage' | 'readOnly' | 'opfsPerTrack' | 'opfsPerChunk';
export interface FloorRound {
  /** NaN for a run that hung. */
  mbPerS: Record<FloorMethod, number>;
  cpuMsPerMb: Record<FloorMethod, number>;
  hung: FloorMethod[];
}

/** The worker's pipeline: `mode` says how far each body goes after it is read. */
const WORKER = `onmessage = async (e) => {
  const { ids, base, mode } = e.data;
  const CHUNK = 262144;
  const dir = mode === 'readOnly' ? null : await (await navigator.storage.getDirectory()).getDirectoryHandle('floor-' + Math.random().toString(36).slice(2), { create: true });
  const b64 = (d) => btoa(String.fromCharCode(...new Uint8Array(d))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const queue = [...ids];
  const t = performance.now();
  await Promise.all([0, 1, 2].map(async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      const reader = (await fetch(base + '/media/' + id, { cache: 'no-store' })).body.getReader();
      const track = mode === 'opfsPerTrack' ? await (await dir.getFileHandle(id, { create: true })).createSyncAccessHandle() : null;
      let buf = new Uint8Array(CHUNK), fill = 0, at = 0;
      const store = async () => {
        const chunk = buf.subarray(0, fill);
        if (mode !== 'readOnly') {
          const digest = await crypto.subtle.digest('SHA-256', chunk);
          if (track) track.write(chunk, { at });
          else {
            const h = await (await dir.getFileHandle(b64(digest), { create: true })).createSyncAccessHandle();
            h.write(chunk, { at: 0 });
            h.close();
          }
        }
        at += fill;
        fill = 0;
      };
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let off = 0; off < value.length; ) {
          const n = Math.min(CHUNK - fill, value.length - off);
          buf.set(value.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === CHUNK) await store();
        }
      }
      if (fill) await store();
      track?.close();
    }
  }));
  postMessage(performance.now() - t);
};`;

export async function storeFloor(n = 3, tracks = 16, trackBytes = 6_000_000) {
  const ids = Array.from({ length: tracks }, (_, i) => `s${i}`);
  const site = await startBenchSite(ids.map((id) => ({ id, body: bytesOf(id, trackBytes), mimeType: 'audio/mpeg' })), [{ id: 'all', trackIds: ids }]);
  const mb = (tracks * trackBytes) / 1e6;
  try {
    const rows = await rounds(n, async (round): Promise<FloorRound> => {
      const browser = await launch();
      try {
        const page = await openPage(browser.context, site.url);
        await page.evaluate(async () => void (await (await fetch('/media/s0', { cache: 'no-store' })).arrayBuffer())); // warm the connections
        /** A worker pipeline's wall ms, or -1 when it had not ended after HANG_MS (the worker is then terminated). */
        const inWorker = (mode: Exclude<FloorMethod, 'cacheStorage'>) =>
          page.evaluate(
            async ({ mode, ids, source, hangMs }) => {
              const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
              try {
                return await new Promise<number>((resolve, reject) => {
                  setTimeout(() => resolve(-1), hangMs);
                  worker.onmessage = (e) => resolve(e.data as number);
                  worker.onerror = (e) => reject(new Error(e.message));
                  worker.postMessage({ ids, base: location.origin, mode });
                });
              } finally {
                worker.terminate();
              }
            },
            { mode, ids, source: WORKER, hangMs: HANG_MS },
          );
        const run = (method: FloorMethod) => (method === 'cacheStorage' ? cacheStoragePut(page, ids, 'floor') : inWorker(method));
        const timed = await timeMethods(['cacheStorage', 'readOnly', 'opfsPerTrack', 'opfsPerChunk'] as const, round, run);
        const out: FloorRound = { mbPerS: {} as FloorRound['mbPerS'], cpuMsPerMb: {} as FloorRound['cpuMsPerMb'], hung: [] };
        for (const [method, t] of Object.entries(timed) as [FloorMethod, (typeof timed)[FloorMethod]][]) {
          if (Number.isNaN(t.ms)) out.hung.push(method);
          out.cpuMsPerMb[method] = Number.isNaN(t.ms) ? NaN : t.cpuMs / mb;
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

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await storeFloor(Number(process.argv[2] ?? 1)), null, 1));
