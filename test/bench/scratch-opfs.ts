import { bytesOf } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { cpuMeter } from './lib/procStats.js';

const tracks = 16, trackBytes = 6_000_000;
const ids = Array.from({ length: tracks }, (_, i) => `o${i}`);
const site = await startBenchSite(ids.map((id) => ({ id, body: bytesOf(id, trackBytes), mimeType: 'audio/mpeg' })), [{ id: 'all', trackIds: ids }]);
const mb = (tracks * trackBytes) / 1e6;
const browser = await launch();
const page = await openPage(browser.context, site.url);
page.on('crash', () => console.log('CRASH'));page.on('console', (m) => console.log('console', m.text()));page.on('pageerror', (e) => console.log('pageerror', e.message));
const workerSrc = `
onmessage = async (e) => {
  const { ids, base, mode } = e.data;
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle('x' + Math.random(), { create: true });
  const queue = [...ids];
  const t = performance.now();
  const CH = 262144;
  await Promise.all([0, 1, 2].map(async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      const res = await fetch(base + '/media/' + id, { cache: 'no-store' });
      const fh = await dir.getFileHandle(id, { create: true });
      const h = await fh.createSyncAccessHandle();
      if (mode === 'byob' || mode === 'byobfull') {
        const r = res.body.getReader({ mode: 'byob' });
        let at2 = 0;
        for (;;) {
          let b = new Uint8Array(new ArrayBuffer(CH)), f = 0;
          while (f < CH) { const { done, value } = await r.read(b.subarray(f)); if (value) b = new Uint8Array(value.buffer); if (done) break; b = new Uint8Array(value.buffer); f += value.byteLength; }
          if (f === 0) break;
          const c = b.subarray(0, f);
          if (mode === 'byobfull') { await crypto.subtle.digest('SHA-256', c); h.write(c, { at: at2 }); }
          at2 += f;
          if (f < CH) break;
        }
        h.flush(); h.close();
        continue;
      }
      const reader = res.body.getReader();
      let buf = new Uint8Array(CH), fill = 0, at = 0;
      const flush = async () => {
        const chunk = buf.subarray(0, fill);
        if (mode !== 'nodigest' && mode !== 'readonly') await crypto.subtle.digest('SHA-256', chunk);
        if (mode !== 'readonly') h.write(chunk, { at }); at += fill; fill = 0;
      };
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let off = 0;
        while (off < value.length) {
          const n = Math.min(CH - fill, value.length - off);
          buf.set(value.subarray(off, off + n), fill); fill += n; off += n;
          if (fill === CH) await flush();
        }
      }
      if (fill) await flush();
      h.flush(); h.close();
    }
  }));
  postMessage(performance.now() - t);
};`;
for (let round = 0; round < 3; round++) {
  for (const method of ['opfs', 'readonly', 'byob', 'byobfull', 'cache'] as const) {
    const cpu = cpuMeter();
    const ms = await page.evaluate(async ({ src, ids, method }) => {
      if (method === 'cache') {
        const c = await caches.open('peer' + Math.random());
        const queue = [...ids];
        const t = performance.now();
        await Promise.all([0, 1, 2].map(async () => {
          for (let id = queue.shift(); id; id = queue.shift()) await c.put(`/media/${id}`, await fetch(`/media/${id}`, { cache: 'no-store' }));
        }));
        return performance.now() - t;
      }
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      return new Promise<number>((r) => { w.onmessage = (e) => { r(e.data); w.terminate(); }; w.postMessage({ ids, base: location.origin, mode: method }); });
    }, { src: workerSrc, ids, method });
    const c = cpu.stop();
    console.log(method, (mb / (ms / 1000)).toFixed(1), 'MB/s', (c / mb).toFixed(2), 'cpu ms/MB', JSON.stringify(Object.fromEntries(Object.entries(cpu.byKind()).map(([k, v]) => [k, +(v / mb).toFixed(2)]))));
  }
}
await browser.close();
await site.origin.close();
