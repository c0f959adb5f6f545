// Issue 20: format 2 in the engine — conditional sync, parts and chunk lists only when not held,
// v1 → v2 without fetching anything again, a reload that rebuilds from what is stored.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { CHUNK, bytesOf, openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { publishV2, rootValidators } from '../helpers/publishV2.js';
import { snapshot } from '../helpers/snapshot.js';
import { ManualClock } from '../helpers/ManualClock.js';
import { until } from '../helpers/wait.js';

const bodies = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => [id, bytesOf(id, CHUNK * 3 + 17)]));
const tracks = () => Object.entries(bodies).map(([id, body]) => ({ id, body }));
const playlists = [
  { id: 'p', trackIds: ['a', 'b', 'c'], offline: true },
  { id: 'q', trackIds: ['d', 'e', 'f'], offline: false },
];

let origin: TestOrigin;
let engine: (CacheEngine & { factory: IDBFactory }) | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
  rootValidators(origin);
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

const kinds = () => {
  const by = (prefix: string) => origin.log.filter((r) => r.path.startsWith(prefix));
  return { root: by('/manifest.jws'), parts: by('/parts/'), lists: by('/index/'), media: by('/media/') };
};
const bytes = (list: { bytes: number }[]) => list.reduce((n, r) => n + r.bytes, 0);

async function plays(e: CacheEngine, id: string) {
  expect(Buffer.from(await (await e.getTrack(id)).arrayBuffer()).equals(bodies[id]!)).toBe(true);
}

describe('manifest format 2 in the engine', () => {
  it('first sync: root, every part, the chunk lists of offline tracks only; the offline playlist plays', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const e = (engine = await openEngine(origin));
    const report = await e.sync();
    await e.idle();
    expect(report).toMatchObject({ kind: 'storage-lost', manifest: 'accepted', toEpoch: 1 });
    const k = kinds();
    expect(k.lists).toHaveLength(3); // a, b, c — not the online-only playlist's
    for (const id of ['a', 'b', 'c']) await plays(e, id);
    expect((await e.status()).tracks.find((t) => t.id === 'd')).toMatchObject({ state: 'online-only', bytesTotal: bodies.d!.length });
  });

  it('unchanged sync costs a 304: nothing else fetched, nothing stored rewritten', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    const before = await snapshot(e.factory);
    origin.log.length = 0;
    const report = await e.sync();
    expect(report).toMatchObject({ kind: 'none', manifest: 'accepted' });
    const k = kinds();
    expect(k.root).toHaveLength(1);
    expect(bytes(k.root)).toBe(0);
    expect([...k.parts, ...k.lists, ...k.media]).toEqual([]);
    const after = await snapshot(e.factory);
    expect(after.meta).toEqual(before.meta);
    expect(after.parts).toEqual(before.parts);
  });

  it('one track re-published: the root, one part, one chunk list and that track only', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1, partCount: 8 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    origin.log.length = 0;
    bodies.b = bytesOf('b-v2', CHUNK * 2);
    try {
      await publishV2(origin, { tracks: tracks(), playlists, version: 2, partCount: 8 });
      const report = await e.sync();
      await e.idle();
      expect(report).toMatchObject({ kind: 'none', manifest: 'accepted', kept: { tracks: 2 }, toFetch: { tracks: 1 } });
      const k = kinds();
      expect(k.parts).toHaveLength(1);
      expect(k.lists).toHaveLength(1);
      expect(new Set(k.media.map((r) => r.path))).toEqual(new Set(['/media/b.mp3']));
      await plays(e, 'b');
    } finally {
      bodies.b = bytesOf('b', CHUNK * 3 + 17);
    }
  });

  it('v1 → v2: no media and no chunk list fetched again; a lower version afterwards is a rollback', async () => {
    await publish(origin, { tracks: tracks(), playlists, epoch: 1 });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    origin.log.length = 0;
    await publishV2(origin, { tracks: tracks(), playlists, version: 5 });
    const e = (engine = await openEngine(origin, { indexedDB: first.factory }));
    const report = await e.sync();
    await e.idle();
    expect(report).toMatchObject({ kind: 'none', kept: { tracks: 3 }, toFetch: { tracks: 0, bytes: 0 } });
    const k = kinds();
    expect([...k.lists, ...k.media]).toEqual([]);
    for (const id of ['a', 'b', 'c']) await plays(e, id);
    // The server goes back to version 4 (same epoch): refused, nothing changes.
    await publishV2(origin, { tracks: tracks(), playlists, version: 4 });
    await expect(e.sync()).rejects.toMatchObject({ name: 'manifest-rollback' });
    // And a v1 manifest in the same epoch is a rollback too.
    await publish(origin, { tracks: tracks(), playlists, epoch: 1 });
    await expect(e.sync()).rejects.toMatchObject({ name: 'manifest-rollback' });
    await plays(e, 'a');
  });

  it('after a reload the library is rebuilt from the stored root, parts and chunk lists, offline', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    origin.faults.unshift((_req, res) => (res.destroy(), true)); // the network is gone
    const e = (engine = await openEngine(origin, { indexedDB: first.factory }));
    for (const id of ['a', 'b', 'c']) await plays(e, id);
    const report = await e.sync();
    expect(report).toMatchObject({ manifest: 'unreachable', kept: { tracks: 3 } });
  });
});

describe('a 304 keeps only what rule 2 still accepts', () => {
  it('an expired manifest in force is fetched and judged again, not kept by its validator: manifest-expired', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T08:00:00Z'));
    await publish(origin, { tracks: [{ id: 'a', body: bodies.a! }], playlists: [{ id: 'p', trackIds: ['a'], offline: true }], patch: (m) => (m.expiresAt = '2026-11-22T08:01:00Z') });
    const e = (engine = await openEngine(origin, { clock }));
    await e.sync();
    await clock.advance(120_000);
    await expect(e.sync()).rejects.toMatchObject({ name: 'manifest-expired' });
    expect(kinds().root.at(-1)!.bytes).toBeGreaterThan(0); // asked without If-None-Match: the whole manifest came
  });

  it('a manifest in force below the app security epoch of an upgraded build is not kept by a 304: manifest-rollback', async () => {
    await publish(origin, { tracks: [{ id: 'a', body: bodies.a! }], playlists: [{ id: 'p', trackIds: ['a'], offline: true }], epoch: 1 });
    const first = await openEngine(origin);
    await first.sync();
    await first.close();
    const e = (engine = await openEngine(origin, { indexedDB: first.factory, appSecurityEpoch: 2 }));
    await expect(e.sync()).rejects.toMatchObject({ name: 'manifest-rollback' });
  });
});

describe('clear() and format 2 versions', () => {
  it('clear() forgets root versions (not epochs): a shared device takes another account\'s root with a lower version', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 50 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.clear();
    await publishV2(origin, { tracks: tracks().slice(0, 2), playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }], version: 3 });
    await expect(e.sync()).resolves.toMatchObject({ manifest: 'accepted' });
  });
});

describe('format 2 and content kept because it was played', () => {
  /** Played before it was stored: fetched first (its chunk list too), and kept because it was played. */
  async function playedWhole(e: CacheEngine, id: string) {
    await until(() => e.getTrack(id).then(() => true, () => false), 5000, `${id} stored by its play`);
    await e.idle();
    await plays(e, id);
  }

  it('a new root keeps it (its chunk list from the store; storage invariant 5: played content goes only under maxBytes or a full quota)', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    await playedWhole(e, 'd'); // in the online-only playlist q
    // A new root that only renames playlist p.
    await publishV2(origin, { tracks: tracks(), playlists: [{ ...playlists[0]!, name: 'Renamed' } as never, playlists[1]!], version: 2 });
    origin.log.length = 0;
    await e.sync();
    await e.idle();
    await plays(e, 'd');
    expect(kinds().media).toEqual([]);
  });

  it('the move from v1 to v2 keeps it too (no media fetched again)', async () => {
    await publish(origin, { tracks: tracks(), playlists });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    await playedWhole(e, 'd');
    await publishV2(origin, { tracks: tracks(), playlists, version: 1, epoch: 1 } as never);
    origin.log.length = 0;
    await e.sync();
    await e.idle();
    await plays(e, 'd');
    expect(kinds().media).toEqual([]);
  });
});

describe('the report adds up', () => {
  it('a track that failed (404) is neither kept nor to fetch, and its bytes are not counted to fetch either', async () => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/b') ? (res.writeHead(404).end(), true) : false));
    await publish(origin, { tracks: tracks().slice(0, 2), playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    const report = await e.sync(); // a 304: b stays failed
    expect([report.kept, report.toFetch]).toEqual([{ tracks: 1, bytes: bodies.a!.length }, { tracks: 0, bytes: 0 }]);
  });
});
