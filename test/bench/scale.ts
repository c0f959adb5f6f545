// A large catalog (issue 2's limits are 50,000 tracks): how long sync() and status() take when
// the manifest lists 20,000 tracks in 200 playlists. Run: npm run bench -- scale
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { createCacheEngine } from '../../src/engine/index.js';
import { key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

export async function largeCatalog(n = 20_000, perPlaylist = 100) {
  const origin = await TestOrigin.start();
  const digest = (i: number) => createHash('sha256').update(String(i)).digest('base64url');
  const tracks = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    url: `m/t${i}.mp3`,
    mimeType: 'audio/mpeg',
    size: 3 * 262144,
    chunkSize: 262144,
    chunks: [digest(i * 3), digest(i * 3 + 1), digest(i * 3 + 2)],
  }));
  const playlists = Array.from({ length: n / perPlaylist }, (_, p) => ({ id: `p${p}`, name: `P${p}`, trackIds: tracks.slice(p * perPlaylist, (p + 1) * perPlaylist).map((t) => t.id) }));
  const jws = await sign({ format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: new Date().toISOString(), playlists, tracks }, 'k1');
  origin.put('/manifest.jws', jws);
  const engine = await createCacheEngine({ manifestUrl: `${origin.url}/manifest.jws`, trustedKeys: [(await key('k1')).publicJwk as never], indexedDB: new IDBFactory() });
  let t = performance.now();
  await engine.sync();
  const syncMs = performance.now() - t;
  t = performance.now();
  await engine.status();
  const statusMs = performance.now() - t;
  await engine.pause(); // plan, do not download
  t = performance.now();
  for (let p = 0; p < 20; p++) await engine.setOffline(`p${p}`, true);
  const setOfflineMs = (performance.now() - t) / 20;
  await engine.close();
  await origin.close();
  return { tracks: n, playlists: playlists.length, manifestBytes: jws.length, syncMs, statusMs, setOfflineMs };
}

export function printLargeCatalog(r: Awaited<ReturnType<typeof largeCatalog>>) {
  console.log(`\nlarge catalog: ${r.tracks.toLocaleString('en')} tracks in ${r.playlists} playlists, manifest ${(r.manifestBytes / 1048576).toFixed(1)} MiB (Node)`);
  console.log(`  sync() (fetch, verify, parse, content ids, plan): ${Math.round(r.syncMs)} ms; status(): ${Math.round(r.statusMs)} ms; setOffline() with replan: ${Math.round(r.setOfflineMs)} ms`);
}
