import { CompactSign, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { bytesOf, key, openEngine, publish, sign, type PublishOptions } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { snapshot } from '../helpers/snapshot.js';

const b64 = (s: string) => Buffer.from(s).toString('base64url');

const tracks = [
  { id: 't1', body: bytesOf('t1', 200_000) },
  { id: 't2', body: bytesOf('t2', 70_000) },
];
const playlists = [{ id: 'road-trip', trackIds: ['t1', 't2'], offline: true }];

let origin: TestOrigin;
let engine: CacheEngine & { factory: IDBFactory };

/** A store holding a verified, complete offline playlist at epoch 2 — what a refusal must not touch. */
async function acceptedStore(options: Parameters<typeof openEngine>[1] = {}) {
  await publish(origin, { tracks, playlists, epoch: 2 });
  engine = await openEngine(origin, { kids: ['k1', 'k2'], ...options });
  await engine.sync();
  await engine.idle();
  return snapshot(engine.factory);
}

async function expectRefusedAndUnchanged(code: string, before: Record<string, unknown[]>) {
  await expect(engine.sync()).rejects.toMatchObject({ name: code });
  expect(await snapshot(engine.factory)).toEqual(before);
  // What was playable stays playable.
  const blob = await engine.getTrack('t1');
  expect(Buffer.from(await blob.arrayBuffer()).equals(tracks[0]!.body)).toBe(true);
}

beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  await origin.close();
});

type Case = { name: string; code: string; options?: Parameters<typeof openEngine>[1]; serve: () => Promise<void>; path?: RegExp };

const republish = (patch: PublishOptions['patch'], extra: Partial<PublishOptions> = {}) => () => publish(origin, { tracks, playlists, epoch: 3, patch, ...extra }).then(() => {});

const cases: Case[] = [
  {
    name: 'tampered payload',
    code: 'manifest-signature',
    serve: async () => {
      const { jws } = await publish(origin, { tracks, playlists, epoch: 3 });
      const [h, p, s] = jws.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      payload.tracks[0].url = 'media/t2.mp3';
      origin.put('/manifest.jws', `${h}.${b64(JSON.stringify(payload))}.${s}`);
    },
  },
  { name: 'unknown kid', code: 'manifest-signature', serve: republish(undefined, { kid: 'k-stranger' }) },
  { name: 'kid revoked by the app', code: 'manifest-signature', options: { revokedKeyIds: ['k2'] }, serve: republish(undefined, { kid: 'k2' }) },
  {
    name: 'alg none',
    code: 'manifest-signature',
    serve: async () => {
      const { manifest } = await publish(origin, { tracks, playlists, epoch: 3 });
      origin.put('/manifest.jws', `${b64(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${b64(JSON.stringify(manifest))}.`);
    },
  },
  {
    name: 'HS256 keyed with the public key',
    code: 'manifest-signature',
    serve: async () => {
      const { manifest } = await publish(origin, { tracks, playlists, epoch: 3 });
      const secret = new TextEncoder().encode(JSON.stringify((await key('k1')).publicJwk));
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest))).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
      origin.put('/manifest.jws', jws);
    },
  },
  {
    name: 'ES384 signature',
    code: 'manifest-signature',
    serve: async () => {
      const { manifest } = await publish(origin, { tracks, playlists, epoch: 3 });
      const { privateKey } = await generateKeyPair('ES384');
      origin.put('/manifest.jws', await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest))).setProtectedHeader({ alg: 'ES384', kid: 'k1' }).sign(privateKey));
    },
  },
  { name: 'a manifest that revokes its own kid', code: 'manifest-signature', serve: republish((m) => (m.revokedKeyIds = ['k1'])) },
  { name: 'rollback below the accepted epoch', code: 'manifest-rollback', serve: () => publish(origin, { tracks, playlists, epoch: 1 }).then(() => {}) },
  { name: 'expired', code: 'manifest-expired', serve: republish((m) => (m.expiresAt = new Date(Date.now() - 1000).toISOString())) },
  { name: 'wrong chunk count', code: 'manifest-invalid', path: /tracks\.0\.chunks/, serve: republish((m) => (m.tracks as { chunks: string[] }[])[0]!.chunks.pop()) },
  {
    name: 'chunk size not a power of two',
    code: 'manifest-invalid',
    path: /tracks\.1\.chunkSize/,
    serve: republish((m) => ((m.tracks as { chunkSize: number }[])[1]!.chunkSize = 100_000)),
  },
  { name: 'track id outside the charset', code: 'manifest-invalid', path: /tracks\.0\.id/, serve: republish((m) => ((m.tracks as { id: string }[])[0]!.id = 'road trip/1')) },
  {
    name: 'playlist id outside the charset',
    code: 'manifest-invalid',
    path: /playlists\.0\.id/,
    serve: republish((m) => ((m.playlists as { id: string }[])[0]!.id = 'x'.repeat(129))),
  },
  {
    name: 'a trackIds entry naming no track',
    code: 'manifest-invalid',
    path: /playlists\.0\.trackIds\.2/,
    serve: republish((m) => (m.playlists as { trackIds: string[] }[])[0]!.trackIds.push('t9')),
  },
  { name: 'wrong format', code: 'manifest-invalid', path: /format/, serve: republish((m) => (m.format = 'reprise-manifest/9')) },
  { name: 'not JSON', code: 'manifest-invalid', serve: async () => origin.put('/manifest.jws', await sign('not an object', 'k1').then((j) => j)) },
];

describe('every refused manifest changes nothing stored', () => {
  it.each(cases)('$name → $code', async ({ code, options, serve, path }) => {
    const before = await acceptedStore(options);
    await serve();
    if (path) {
      const error = await engine.sync().catch((e) => e);
      expect(error).toMatchObject({ name: code });
      expect(error.message).toMatch(path);
      expect(error.details.path).toMatch(path);
    }
    await expectRefusedAndUnchanged(code, before);
  });

  it('a kid revoked by an accepted manifest is refused afterwards', async () => {
    await acceptedStore();
    await publish(origin, { tracks, playlists, epoch: 3, kid: 'k2', patch: (m) => (m.revokedKeyIds = ['k1']) });
    await engine.sync();
    await engine.idle();
    const before = await snapshot(engine.factory);
    await publish(origin, { tracks, playlists, epoch: 4, kid: 'k1' });
    await expectRefusedAndUnchanged('manifest-signature', before);
  });

  it('a manifest below appSecurityEpoch is a rollback', async () => {
    const before = await acceptedStore();
    await engine.close();
    engine = await openEngine(origin, { kids: ['k1', 'k2'], appSecurityEpoch: 5, indexedDB: engine.factory });
    await publish(origin, { tracks, playlists, epoch: 4 });
    await expect(engine.sync()).rejects.toMatchObject({ name: 'manifest-rollback' });
    expect(await snapshot(engine.factory)).toEqual(before);
  });

  it('clear() keeps the security state: no rollback afterwards', async () => {
    await acceptedStore();
    await engine.clear();
    await publish(origin, { tracks, playlists, epoch: 1 });
    await expect(engine.sync()).rejects.toMatchObject({ name: 'manifest-rollback' });
    expect((await engine.status()).securityEpoch).toBe(2);
  });

  it('an unreachable manifest falls back to the stored one, and rejects network without one', async () => {
    const before = await acceptedStore();
    origin.files.delete('/manifest.jws');
    origin.faults.push((req, res) => (req.url === '/manifest.jws' ? (res.destroy(), true) : false));
    const report = await engine.sync();
    expect(report).toMatchObject({ manifest: 'unreachable', toEpoch: 2 });
    expect(await snapshot(engine.factory)).toEqual(before);
    const fresh = await openEngine(origin);
    await expect(fresh.sync()).rejects.toMatchObject({ name: 'network' });
    await fresh.close();
  });
});

describe('limits', () => {
  it.each([
    [{ maxManifestBytes: 500 }, /over maxManifestBytes \(500\)/],
    [{ maxTracks: 1 }, /tracks: must list at most maxTracks \(1\)/],
    [{ maxTrackBytes: 100_000 }, /tracks\.0\.size: must be at most maxTrackBytes \(100000\)/],
  ])('%j refuses a manifest beyond it as manifest-invalid', async (limits, message) => {
    await publish(origin, { tracks, playlists, epoch: 1 });
    engine = await openEngine(origin, { limits });
    const error = await engine.sync().catch((e) => e);
    expect(error).toMatchObject({ name: 'manifest-invalid' });
    expect(error.message).toMatch(message);
  });
});

describe('track origins (security rule 3)', () => {
  it('refuses a track on a foreign origin on its own and accepts the rest', async () => {
    await publish(origin, {
      tracks,
      playlists,
      epoch: 1,
      patch: (m) => ((m.tracks as { url: string }[])[1]!.url = 'https://evil.example/t2.mp3'),
    });
    engine = await openEngine(origin);
    const report = await engine.sync();
    expect(report.refused).toEqual([{ trackId: 't2', code: 'origin-not-allowed' }]);
    await engine.idle();
    await expect(engine.getTrack('t2')).rejects.toMatchObject({ name: 'origin-not-allowed' });
    expect(Buffer.from(await (await engine.getTrack('t1')).arrayBuffer()).equals(tracks[0]!.body)).toBe(true);
    expect(origin.log.some((r) => r.path.includes('evil'))).toBe(false);
  });

  it('accepts a track on an origin the app allowed', async () => {
    const cdn = await TestOrigin.start();
    try {
      cdn.put('/t2.mp3', tracks[1]!.body);
      await publish(origin, { tracks, playlists, epoch: 1, patch: (m) => ((m.tracks as { url: string }[])[1]!.url = `${cdn.url}/t2.mp3`) });
      engine = await openEngine(origin, { allowedOrigins: [cdn.url] });
      expect((await engine.sync()).refused).toEqual([]);
      await engine.idle();
      expect(Buffer.from(await (await engine.getTrack('t2')).arrayBuffer()).equals(tracks[1]!.body)).toBe(true);
      expect(cdn.log).toHaveLength(1);
    } finally {
      await cdn.close();
    }
  });
});
