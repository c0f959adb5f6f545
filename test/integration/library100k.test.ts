// Issue 20: a library of 100,000 tracks in format 2 syncs with the default limits (no option
// raised): the first sync, an unchanged one (304), and a new engine on the same store (a reload)
// that rebuilds the catalog from the stored root and parts and syncs with a 304.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { DEFAULT_LIMITS } from '../../src/manifest/limits.js';
import { assembleManifest } from '../../src/publish/assembleManifest.js';
import { createSigner } from '../../src/publish/createSigner.js';
import { DigestIndex } from '../../src/publish/DigestIndex.js';
import { digestFromChunks } from '../../src/publish/digestFile.js';
import { key, openEngine } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { rootValidators } from '../helpers/publishV2.js';

const TRACKS = 100_000;
const MEDIA = 500;

let origin: TestOrigin;
let assembled: Awaited<ReturnType<typeof assembleManifest>>;
const engines: CacheEngine[] = [];

beforeAll(async () => {
  origin = await TestOrigin.start();
  const index = new DigestIndex();
  for (let i = 0; i < MEDIA; i++) {
    const size = 3_000_000 + ((i * 7919) % 6_000_000);
    const chunks = Array.from({ length: Math.ceil(size / 262_144) }, (_, c) => createHash('sha256').update(`${i}:${c}`).digest('base64url'));
    index.add(`m${i}`, { ...digestFromChunks(size, 262_144, chunks), url: `/media/m${i}.mp3`, mimeType: 'audio/mpeg', title: `Track ${i}`, artist: `Artist ${i % 50}` });
  }
  const tracks = Array.from({ length: TRACKS }, (_, i) => index.track(`t${i}`, `m${i % MEDIA}`));
  const playlists = Array.from({ length: 100 }, (_, p) => ({ id: `p${p}`, name: `Playlist ${p}`, trackIds: tracks.slice(p * 1000, (p + 1) * 1000).map((t) => t.id) }));
  const signer = await createSigner({ privateJwk: { ...(await key('k1')).privateJwk, kid: 'k1' } });
  assembled = await assembleManifest({ tracks, playlists, signer, securityEpoch: 1, version: 1 });
  for (const part of assembled.parts) origin.put(`/${part.url}`, part.body, 'application/json');
  origin.put('/manifest.jws', assembled.jws, 'application/jose');
  rootValidators(origin);
}, 120_000);
afterAll(async () => {
  for (const e of engines) await e.close();
  await origin?.close();
});

it('100,000 tracks in format 2 fit the default limits and sync, then answer 304, also after a reload', async () => {
  // What the default limits bound, for this library: the root, each part, the track count.
  expect(assembled.jws.length).toBeLessThan(DEFAULT_LIMITS.maxRootBytes);
  expect(Math.max(...assembled.parts.map((p) => p.body.length))).toBeLessThan(DEFAULT_LIMITS.maxPartBytes);
  expect(TRACKS).toBeLessThanOrEqual(DEFAULT_LIMITS.maxTracks);

  const e = await openEngine(origin);
  engines.push(e);
  const first = await e.sync();
  expect(first).toMatchObject({ manifest: 'accepted', toEpoch: 1, refused: [] });
  expect(origin.log.filter((r) => r.path.startsWith('/parts/'))).toHaveLength(assembled.parts.length);
  // A track of the last part plays as online-only (the catalog holds all 100,000).
  const status = await e.status();
  expect(status.tracks).toHaveLength(TRACKS);

  origin.log.length = 0;
  expect(await e.sync()).toMatchObject({ kind: 'none', manifest: 'accepted' });
  expect(origin.log.map((r) => [r.path, r.bytes])).toEqual([['/manifest.jws', 0]]);

  // A reload: the store's root and parts rebuild the catalog; the sync is a 304.
  await e.close();
  const again = await openEngine(origin, { indexedDB: e.factory });
  engines.push(again);
  origin.log.length = 0;
  expect(await again.sync()).toMatchObject({ kind: 'none', manifest: 'accepted' });
  expect(origin.log.map((r) => [r.path, r.bytes])).toEqual([['/manifest.jws', 0]]);
  expect((await again.status()).tracks).toHaveLength(TRACKS);
}, 300_000);
