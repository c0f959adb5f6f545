import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { createCacheEngine } from '../../src/engine/index.js';
import { bytesOf, chunkDigests, key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
const base = (await import('/tmp/wire-base/src/engine/index.ts' as string)) as { createCacheEngine: typeof createCacheEngine };
const origin = await TestOrigin.start();
const CHUNK = 256 * 1024, n = 24, size = 4 * 1024 * 1024;
const ids = Array.from({ length: n }, (_, i) => `q${i}`);
const manifest = { format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: new Date().toISOString(), playlists: [{ id: 'all', name: 'All', trackIds: ids, offline: true }],
  tracks: ids.map((id) => { const body = bytesOf(id, size); origin.put(`/q/${id}.mp3`, body); return { id, url: `${id}.mp3`, mimeType: 'audio/mpeg', size, chunkSize: CHUNK, chunks: chunkDigests(body, CHUNK) }; }) };
origin.put('/q/manifest.jws', await sign(manifest, 'k1'));
const run = async (create: typeof createCacheEngine) => {
  const e = await create({ manifestUrl: `${origin.url}/q/manifest.jws`, trustedKeys: [(await key('k1')).publicJwk as never], indexedDB: new IDBFactory(), throttle: { maxConcurrent: 3 } });
  const c0 = process.cpuUsage(); const t = performance.now(); await e.sync(); await e.idle(); const c = process.cpuUsage(c0); const r = `${((n * size) / ((performance.now() - t) / 1000) / 1e6).toFixed(1)} MB/s ${((c.user + c.system) / 1000 / (n * size / 1e6)).toFixed(2)} CPU ms/MB`; await e.close(); return r;
};
const pace = process.env.PACE ? { bytes: 65536, everyMs: 4 } : undefined;
origin.pace = pace;
for (let i = 0; i < 3; i++) console.log(`before ${await run(base.createCacheEngine)}   after ${await run(createCacheEngine)}`);
await origin.close();
