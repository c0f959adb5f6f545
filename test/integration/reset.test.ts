import { readFileSync, readdirSync } from 'node:fs';
import { SCHEMA_HISTORY, SCHEMA_VERSION } from '../../src/store/schema.js';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine, SyncReport } from '../../src/engine/index.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish, record } from '../helpers/catalog.js';
import { corruptChunks, countChunkHashes, deleteChunks, storedDigests } from '../helpers/damage.js';
import { TestOrigin } from '../helpers/origin.js';
import { loadFixture } from '../helpers/storeFixture.js';
import { snapshot } from '../helpers/snapshot.js';

type Engine = CacheEngine & { factory: IDBFactory };

const bodies = {
  a1: bytesOf('a1', CHUNK * 4),
  a2: bytesOf('a2', CHUNK * 3 + 99),
  b1: bytesOf('b1', CHUNK * 5),
  b2: bytesOf('b2', CHUNK * 2),
};
const tracks = () => Object.entries(bodies).map(([id, body]) => ({ id, body }));
const playlists = [
  { id: 'album-a', trackIds: ['a1', 'a2'], offline: true },
  { id: 'album-b', trackIds: ['b1', 'b2'], offline: true },
];
const digestsOf = (id: keyof typeof bodies) => chunkDigests(bodies[id]);
const mediaRequests = (o: TestOrigin) => o.log.filter((r) => r.path.startsWith('/media/'));
const mediaBytes = (o: TestOrigin) => mediaRequests(o).reduce((n, r) => n + r.bytes, 0);

let origin: TestOrigin;
let engine: Engine;

beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  await origin.close();
});

/** A device with both albums complete at epoch 1, signed by k1; the engine is closed (the app is not running). */
async function device(options: Parameters<typeof openEngine>[1] = {}): Promise<IDBFactory> {
  await publish(origin, { tracks: tracks(), playlists, epoch: 1, kid: 'k1' });
  const first = await openEngine(origin, { kids: ['k1', 'k2'], ...options });
  await first.sync();
  await first.idle();
  await first.close();
  origin.log.length = 0;
  return first.factory;
}

async function reopen(factory: IDBFactory, options: Parameters<typeof openEngine>[1] = {}): Promise<Engine> {
  engine = await openEngine(origin, { kids: ['k1', 'k2'], indexedDB: factory, ...options });
  return engine;
}

async function expectPlays(e: CacheEngine, id: keyof typeof bodies) {
  const blob = await e.getTrack(id);
  expect(Buffer.from(await blob.arrayBuffer()).equals(bodies[id])).toBe(true);
}

describe('reset kinds', () => {
  it('none: nothing changed — presence is checked, nothing is hashed or fetched', async () => {
    const factory = await device();
    await reopen(factory);
    const hashes = countChunkHashes();
    const resets = record<SyncReport>(engine, 'reset');
    const report = await engine.sync();
    hashes.restore();
    expect(report).toMatchObject({ kind: 'none', reasons: ['none'], fromEpoch: 1, toEpoch: 1, manifest: 'accepted', corruptChunks: 0, missingChunks: 0, toFetch: { tracks: 0, bytes: 0 } });
    expect(report.kept).toEqual({ tracks: 4, bytes: Object.values(bodies).reduce((n, b) => n + b.length, 0) });
    expect(hashes.count).toBe(0);
    expect(mediaRequests(origin)).toHaveLength(0);
    expect(resets).toHaveLength(0);
  });

  it('security-epoch: every chunk is re-hashed; verified content is kept, only the damage is fetched', async () => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('a1')[1]!, digestsOf('b1')[3]!]);
    await deleteChunks(factory, digestsOf('b2')); // a whole track gone from the device
    await reopen(factory);
    // This run only reads: a repair it started would be cut short by the close below, and the
    // bytes counted at the end are those the sync after the reset fetches.
    await engine.pause();
    // Before the new manifest: a read checks the digest and holds the bad chunk back.
    await expect(engine.getTrack('a1')).rejects.toMatchObject({ name: 'integrity-mismatch' });
    await engine.close();
    await reopen(factory);
    bodies.a2 = bytesOf('a2-remastered', CHUNK * 3 + 99); // changed on the server
    try {
      await publish(origin, { tracks: tracks(), playlists, epoch: 2 });
      const hashes = countChunkHashes();
      const report = await engine.sync();
      hashes.restore();
      expect(report).toMatchObject({ kind: 'security-epoch', fromEpoch: 1, toEpoch: 2, manifest: 'accepted', corruptChunks: 1, missingChunks: 3 });
      expect(report.reasons).toEqual(['security-epoch', 'partial-loss']);
      // Stored chunks that the new manifest still needs were all re-hashed (a1: 3 left, b1: 5).
      expect(hashes.count).toBeGreaterThanOrEqual(8);
      expect(report.toFetch.tracks).toBe(4); // a1, a2 (changed), b1, b2
      await engine.idle();
      const expected = CHUNK /* a1[1] was deleted by the read */ + bodies.a2.length + CHUNK /* b1[3] */ + bodies.b2.length;
      expect(mediaBytes(origin)).toBe(expected);
      for (const id of ['a1', 'a2', 'b1', 'b2'] as const) await expectPlays(engine, id);
      // The old a2 content is gone: nothing references it.
      const stored = new Set(await storedDigests(factory));
      expect(chunkDigests(bytesOf('a2', CHUNK * 3 + 99)).some((d) => stored.has(d))).toBe(false);
    } finally {
      bodies.a2 = bytesOf('a2', CHUNK * 3 + 99);
    }
  });

  it('a corrupted chunk is never served after a reset, and is fetched again', async () => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('b1')[0]!]);
    await publish(origin, { tracks: tracks(), playlists, epoch: 2 });
    await reopen(factory);
    await engine.pause(); // the re-fetch cannot finish during the checks (a capped bucket starts with one chunk's worth)
    const sync = engine.sync();
    // During and right after the audit, b1 is not playable until its chunk is fetched.
    await expect(engine.getTrack('b1')).rejects.toMatchObject({ name: expect.stringMatching(/not-cached|integrity-mismatch/) });
    const report = await sync;
    expect(report.corruptChunks).toBe(1); // found by the audit or by that read, counted once
    await expect(engine.getTrack('b1')).rejects.toMatchObject({ name: 'not-cached' });
    await engine.resume();
    await engine.idle();
    await expectPlays(engine, 'b1');
    expect(mediaRequests(origin).map((r) => r.range)).toEqual([`bytes=0-${CHUNK - 1}`]);
  });

  it('key-revoked: the new build revokes the stored manifest key; a manifest signed by the new key re-verifies everything', async () => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('a2')[0]!]);
    await publish(origin, { tracks: tracks(), playlists, epoch: 1, kid: 'k2' });
    await reopen(factory, { revokedKeyIds: ['k1'] });
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'key-revoked', reasons: ['key-revoked'], fromEpoch: 1, toEpoch: 1, corruptChunks: 1 });
    expect(report.kept.tracks).toBe(3);
    await engine.idle();
    expect(mediaRequests(origin)).toHaveLength(1);
    await expectPlays(engine, 'a2');
  });

  it('key-revoked while offline: everything is held back, nothing is deleted, sync rejects network', async () => {
    const factory = await device();
    const before = await snapshot(factory);
    origin.faults.push((req, res) => (req.url === '/manifest.jws' ? (res.destroy(), true) : false));
    await reopen(factory, { kids: ['k2'] }); // the new build no longer trusts k1 at all
    const error = await engine.sync().catch((e) => e);
    expect(error).toMatchObject({ name: 'network', details: { heldBack: 4 } });
    await expect(engine.getTrack('a1')).rejects.toMatchObject({ name: 'not-cached', details: { heldBack: true } });
    const held = await engine.status();
    expect(held.manifest).toBeNull();
    expect(held.tracks.map((t) => [t.id, t.state, t.bytesTotal]).sort()).toEqual(
      Object.entries(bodies).map(([id, b]) => [id, 'held-back', b.length]).sort(),
    );
    const after = await snapshot(factory);
    expect(after.chunks).toEqual(before.chunks);
    expect(after.meta).not.toEqual(before.meta); // only the trust flag the service worker reads changed
  });

  it('app-epoch offline: what verifies against the stored manifest plays, the rest is held back, nothing is deleted', async () => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('b2')[1]!]);
    const chunksBefore = (await snapshot(factory)).chunks;
    origin.faults.push((req, res) => (req.url === '/manifest.jws' ? (res.destroy(), true) : false));
    await reopen(factory, { appSecurityEpoch: 2 });
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'app-epoch', manifest: 'unreachable', fromEpoch: 1, toEpoch: 1, corruptChunks: 1, heldBack: { tracks: 1 } });
    await expectPlays(engine, 'a1');
    await expect(engine.getTrack('b2')).rejects.toMatchObject({ name: 'not-cached' });
    expect((await snapshot(factory)).chunks).toEqual(chunksBefore);
    // The new manifest arrives: full re-verification against it, and the damage is fetched.
    origin.faults.length = 0;
    await publish(origin, { tracks: tracks(), playlists, epoch: 2 });
    const online = await engine.sync();
    expect(online).toMatchObject({ kind: 'security-epoch', reasons: ['security-epoch', 'app-epoch', 'partial-loss'], toEpoch: 2 });
    await engine.idle();
    await expectPlays(engine, 'b2');
    expect(mediaBytes(origin)).toBe(CHUNK);
  });

  it('partial-loss: only the missing chunks are fetched', async () => {
    const factory = await device();
    await deleteChunks(factory, [digestsOf('a1')[2]!, digestsOf('b1')[0]!, digestsOf('b1')[1]!]);
    await reopen(factory);
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'partial-loss', reasons: ['partial-loss'], missingChunks: 3, toFetch: { tracks: 2, bytes: 3 * CHUNK } });
    await engine.idle();
    expect(mediaRequests(origin).map((r) => r.range).sort()).toEqual([`bytes=${2 * CHUNK}-${3 * CHUNK - 1}`, `bytes=0-${2 * CHUNK - 1}`].sort());
    await expectPlays(engine, 'b1');
  });

  it('partial-loss while the app runs: sync() checks the store itself, not its memory of it', async () => {
    const factory = await device();
    await reopen(factory);
    await engine.sync();
    await deleteChunks(factory, [digestsOf('b2')[1]!]); // the browser (or another program) drops a record
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'partial-loss', missingChunks: 1, toFetch: { tracks: 1, bytes: CHUNK } });
    await engine.idle();
    await expectPlays(engine, 'b2');
  });

  it('storage-lost: every chunk gone → full resync, the most recently played playlist first', async () => {
    const factory = await device();
    await reopen(factory);
    await engine.sync();
    await engine.getTrack('b2'); // album-b was played last
    await engine.close();
    await deleteChunks(factory, await storedDigests(factory)); // evicted by the browser
    await reopen(factory, { throttle: { maxConcurrent: 1 } });
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'storage-lost', kept: { tracks: 0, bytes: 0 }, toFetch: { tracks: 4 } });
    await engine.idle();
    expect([...new Set(mediaRequests(origin).map((r) => r.path))]).toEqual(['/media/b1.mp3', '/media/b2.mp3', '/media/a1.mp3', '/media/a2.mp3']);
  });

  it('storage-lost on a new device: the service record decides which playlists come back', async () => {
    await device();
    engine = await openEngine(origin, { kids: ['k1'] }); // a fresh, empty store
    const report = await engine.sync();
    expect(report.kind).toBe('storage-lost');
    expect((await engine.status()).playlists.map((p) => [p.id, p.offline, p.source])).toEqual([
      ['album-a', true, 'service'],
      ['album-b', true, 'service'],
    ]);
  });

  // One fixture per released schema version (test/fixtures/make-store-fixture.ts writes them).
  const fixtures = readdirSync(new URL('../fixtures/', import.meta.url))
    .filter((f) => /^store-v\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')));
  it('has a fixture of every released schema version', () => {
    expect(fixtures.map((f) => f.schemaVersion).sort()).toEqual([...SCHEMA_HISTORY]);
  });
  it.each(fixtures.map((f) => [f.schemaVersion, f]))('schema version %i: opened in place, nothing re-downloaded', async (version, fixture) => {
    const factory = await loadFixture(fixture);
    origin.put('/manifest.jws', fixture.manifestJws);
    for (const [path, b64] of Object.entries(fixture.media as Record<string, string>)) origin.put(path, Buffer.from(b64, 'base64'));
    engine = await openEngine(origin, { indexedDB: factory, trustedKeys: [fixture.keys.public] });
    const report = await engine.sync();
    const kind = version < SCHEMA_VERSION ? 'schema-upgrade' : 'none';
    expect(report).toMatchObject({ kind, reasons: [kind], fromEpoch: 7, toEpoch: 7, toFetch: { tracks: 0, bytes: 0 }, kept: { tracks: 2 } });
    expect(mediaRequests(origin)).toHaveLength(0);
    const a = await engine.getTrack('a');
    expect(Buffer.from(await a.arrayBuffer()).equals(Buffer.from(fixture.media['/media/a.mp3'], 'base64'))).toBe(true);
    expect((await engine.status()).playlists.find((p) => p.id === 'kept')!.lastPlayedAt).toBeGreaterThan(0);
    expect((await engine.sync()).kind).toBe('none');
  });
});

describe('the audit', () => {
  it('an audit interrupted half-way resumes without re-hashing what it verified', async () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`m${i}`, bytesOf(`m${i}`, CHUNK * 8)]));
    const manyTracks = Object.entries(many).map(([id, body]) => ({ id, body }));
    await publish(origin, { tracks: manyTracks, playlists: [{ id: 'all', trackIds: Object.keys(many), offline: true }], epoch: 1 });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    const total = 12 * 8;

    await publish(origin, { tracks: manyTracks, playlists: [{ id: 'all', trackIds: Object.keys(many), offline: true }], epoch: 2 });
    await reopen(first.factory, { kids: ['k1'] });
    // The tab is closed while the 40th chunk is being hashed.
    const hashes = countChunkHashes(1024, { count: 40, then: () => void engine.close() });
    const sync = engine.sync().catch((e) => e);
    expect(await sync).toMatchObject({ name: 'aborted' });
    const firstRun = hashes.count;
    expect(firstRun).toBeLessThan(total);

    await reopen(first.factory, { kids: ['k1'] });
    const report = await engine.sync();
    hashes.restore();
    expect(report.kind).toBe('none'); // the epoch was accepted before the interruption …
    expect(hashes.count).toBe(total); // … and the audit went on from where it stopped: each chunk hashed once
    expect(report.kept.tracks).toBe(12);
    // Only the first download: each chunk of each track asked once, nothing after the resume.
    for (const id of Object.keys(many)) expect(origin.chunksAsked(`/media/${id}.mp3`, CHUNK)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('verify() re-hashes everything on demand and queues what fails', async () => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('a1')[3]!]);
    await reopen(factory);
    await engine.sync();
    // Paused, so that only the audit hashes: a repair download may start while it runs.
    await engine.pause();
    const hashes = countChunkHashes(1);
    const audit = await engine.verify();
    hashes.restore();
    expect(audit).toMatchObject({ chunksChecked: 15, corruptChunks: 1, toFetch: { tracks: 1, bytes: CHUNK } });
    expect(hashes.count).toBe(15);
    expect((await engine.status()).queue).toEqual(['a1']);
    await engine.resume();
    await engine.idle();
    await expectPlays(engine, 'a1');
  });
});

describe('a refused manifest during a reset changes nothing stored', () => {
  it.each([
    ['tampered', async () => {
      const { jws } = await publish(origin, { tracks: tracks(), playlists, epoch: 2 });
      const [h, , s] = jws.split('.');
      origin.put('/manifest.jws', `${h}.${Buffer.from('{"format":"reprise-manifest/1"}').toString('base64url')}.${s}`);
    }, 'manifest-signature'],
    ['rolled back', () => publish(origin, { tracks: tracks(), playlists, epoch: 1 }), 'manifest-rollback'],
    ['expired', () => publish(origin, { tracks: tracks(), playlists, epoch: 3, patch: (m) => (m.expiresAt = '2020-01-01T00:00:00Z') }), 'manifest-expired'],
  ])('%s', async (_, serve, code) => {
    const factory = await device();
    await corruptChunks(factory, [digestsOf('a1')[0]!]); // damage waiting for the reset's audit
    const before = await snapshot(factory);
    await (serve as () => Promise<unknown>)();
    await reopen(factory, { appSecurityEpoch: 2 });
    await expect(engine.sync()).rejects.toMatchObject({ name: code });
    expect(await snapshot(factory)).toEqual(before);
    await expectPlays(engine, 'b1');
    expect(mediaRequests(origin)).toHaveLength(0);
  });
});
