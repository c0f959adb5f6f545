// Line 3: re-verifying a stored library in Chromium: reprise's verify() (every stored chunk of
// the offline playlists re-hashed against the manifest in force) ÷ the least the same check
// costs — raw IndexedDB reads of the same 'chunks' store, 16 values a request, each SHA-256'd
// and compared with its key — over the same bytes in the same profile. CPU of every browser
// process. BENCH_AUDIT_MIB sets the library size (default 1024).
import { bytesOf } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { cpuMeter } from './lib/procStats.js';
import { rounds } from './lib/stats.js';

const MIB = 1024 * 1024;
type Method = 'reprise' | 'raw';

export async function auditBench(n = 3, libraryMib = Number(process.env.BENCH_AUDIT_MIB ?? 1024), trackMib = 8) {
  const ids = Array.from({ length: Math.round(libraryMib / trackMib) }, (_, i) => `a${i}`);
  const site = await startBenchSite(ids.map((id) => ({ id, body: bytesOf(id, trackMib * MIB), mimeType: 'audio/mpeg' })), [{ id: 'all', trackIds: ids, offline: true }]);
  const browser = await launch();
  const mb = (ids.length * trackMib * MIB) / 1e6;
  try {
    const page = await openPage(browser.context, site.url);
    const downloadMs = await page.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
      const t = performance.now();
      await w.cache.sync();
      await w.cache.idle();
      return performance.now() - t;
    }, site.options);
    const run: Record<Method, () => Promise<{ ms: number; bytes: number; bad: number }>> = {
      reprise: () =>
        page.evaluate(async () => {
          const t = performance.now();
          const report = await (window as never as Record<string, any>).cache.verify();
          return { ms: performance.now() - t, bytes: report.bytesChecked as number, bad: report.corruptChunks as number };
        }),
      raw: () =>
        page.evaluate(async () => {
          const db: IDBDatabase = await new Promise((resolve, reject) => {
            const open = indexedDB.open('reprise');
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          const b64 = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          const t = performance.now();
          let bytes = 0;
          let bad = 0;
          for (let after: string | undefined; ; ) {
            const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
            const [keys, values] = await new Promise<[IDBValidKey[], { bytes: ArrayBuffer | Blob }[]]>((resolve, reject) => {
              const store = db.transaction('chunks').objectStore('chunks');
              const k = store.getAllKeys(range, 16);
              const v = store.getAll(range, 16);
              v.onsuccess = () => resolve([k.result, v.result]);
              v.onerror = () => reject(v.error);
            });
            if (keys.length === 0) break;
            // Values are Blobs (reprise's browser layout) or ArrayBuffers (stores written before).
            const buffers = await Promise.all(values.map((v) => (v.bytes instanceof Blob ? v.bytes.arrayBuffer() : v.bytes)));
            const digests = await Promise.all(buffers.map((b) => crypto.subtle.digest('SHA-256', b)));
            digests.forEach((d, i) => {
              bytes += buffers[i]!.byteLength;
              if (b64(d) !== keys[i]) bad++;
            });
            after = keys[keys.length - 1] as string;
          }
          db.close();
          return { ms: performance.now() - t, bytes, bad };
        }),
    };
    const rows = await rounds(n, async (round) => {
      const out = { mbPerS: {}, cpuMsPerMb: {} } as { mbPerS: Record<Method, number>; cpuMsPerMb: Record<Method, number> };
      for (const method of (round % 2 ? ['raw', 'reprise'] : ['reprise', 'raw']) as Method[]) {
        const cpu = cpuMeter();
        const r = await run[method]();
        out.cpuMsPerMb[method] = cpu.stop() / mb;
        if (r.bad !== 0 || Math.abs(r.bytes / 1e6 - mb) > 0.01) throw new Error(`${method}: checked ${r.bytes} bytes, ${r.bad} bad (expected ${mb} MB, 0 bad)`);
        out.mbPerS[method] = mb / (r.ms / 1000);
      }
      return out;
    });
    return { libraryBytes: ids.length * trackMib * MIB, tracks: ids.length, downloadMbPerS: mb / (downloadMs / 1000), rows };
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await auditBench(Number(process.argv[2] ?? 1)), null, 1));
