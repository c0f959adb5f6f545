// Chunk values in browsers are Blobs (file-backed: getTrack() composes a track of them without
// reading it into memory; docs/playback-url.md "Without a service worker"). Stores written before
// hold ArrayBuffers: they keep working with no migration and nothing downloaded again (storage
// invariant 6), and a browser that refuses Blob values gets ArrayBuffers.
// The engine writes Blobs when its IndexedDB is the platform's own (`globalThis.indexedDB`), as
// in a browser; here that global is pointed at the test's fake-indexeddb factory.
import { readFileSync, readdirSync } from 'node:fs';
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { type IDBPDatabase, wrap } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish } from '../helpers/catalog.js';
import { deleteChunks } from '../helpers/damage.js';
import { TestOrigin } from '../helpers/origin.js';
import { loadFixture } from '../helpers/storeFixture.js';

let origin: TestOrigin;
let engine: CacheEngine | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  await origin.close();
});

const mediaRequests = () => origin.log.filter((r) => r.path.startsWith('/media/'));

async function open(factory: IDBFactory): Promise<IDBPDatabase> {
  return (await wrap(factory.open('reprise'))) as unknown as IDBPDatabase;
}

/** digest → what kind of value the store holds for it. */
async function valueKinds(factory: IDBFactory): Promise<Map<string, 'blob' | 'buffer'>> {
  const db = await open(factory);
  const keys = (await db.getAllKeys('chunks')) as string[];
  const values = (await db.getAll('chunks')) as { bytes: unknown }[];
  db.close();
  return new Map(keys.map((k, i) => [k, values[i]!.bytes instanceof Blob ? 'blob' : 'buffer']));
}

async function bytesOfTrack(e: CacheEngine, id: string): Promise<Buffer> {
  return Buffer.from(await (await e.getTrack(id)).arrayBuffer());
}

/** The engine on `factory`, which it takes for the platform's own IndexedDB: it writes Blob values. */
async function openAsBrowser(factory: IDBFactory, options: Parameters<typeof openEngine>[1] = {}): Promise<CacheEngine> {
  vi.stubGlobal('indexedDB', factory);
  engine = await openEngine(origin, { indexedDB: factory, ...options });
  return engine;
}

describe('chunk values: Blobs in browsers, ArrayBuffers before', () => {
  it('a browser store holds Blobs; getTrack() composes them and checks each; a damaged Blob is held back and fetched again', async () => {
    const body = bytesOf('t', CHUNK * 3 + 500);
    await publish(origin, { tracks: [{ id: 't', body }], playlists: [{ id: 'p', trackIds: ['t'], offline: true }], epoch: 1 });
    const factory = new IDBFactory();
    const e = await openAsBrowser(factory);
    await e.sync();
    await e.idle();
    const digests = chunkDigests(body);
    expect([...(await valueKinds(factory)).entries()].sort()).toEqual(digests.map((d) => [d, 'blob']).sort());
    expect((await bytesOfTrack(e, 't')).equals(body)).toBe(true);
    expect(await e.verify()).toMatchObject({ chunksChecked: 4, corruptChunks: 0 });

    // A stored Blob whose bytes changed (a failing disk): never served, held back, fetched again.
    const db = await open(factory);
    const bad = Buffer.from(body.subarray(CHUNK, 2 * CHUNK));
    bad[100]! ^= 0xff;
    await db.put('chunks', { bytes: new Blob([bad]) }, digests[1]!);
    db.close();
    await expect(e.getTrack('t')).rejects.toMatchObject({ name: 'integrity-mismatch', details: { chunkIndex: 1 } });
    await e.idle();
    expect(origin.chunksAsked('/media/t.mp3', CHUNK)).toEqual([0, 1, 2, 3, 1]);
    expect((await bytesOfTrack(e, 't')).equals(body)).toBe(true);
  });

  // One fixture per released schema version, all written with ArrayBuffer values.
  const fixtures = readdirSync(new URL('../fixtures/', import.meta.url))
    .filter((f) => /^store-v\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')));
  it.each(fixtures.map((f) => [f.schemaVersion, f]))('schema version %i (ArrayBuffer values): plays and verifies as it is, nothing re-downloaded; new chunks are Blobs beside them', async (version, fixture) => {
    const factory = await loadFixture(fixture);
    origin.put('/manifest.jws', fixture.manifestJws);
    const media = Object.fromEntries(Object.entries(fixture.media as Record<string, string>).map(([path, b64]) => [path, Buffer.from(b64, 'base64')]));
    for (const [path, bytes] of Object.entries(media)) origin.put(path, bytes);
    const before = await valueKinds(factory);
    expect([...before.values()].every((k) => k === 'buffer')).toBe(true);

    const e = await openAsBrowser(factory, { trustedKeys: [fixture.keys.public] });
    const report = await e.sync();
    expect(report).toMatchObject({ kind: version < SCHEMA_VERSION ? 'schema-upgrade' : 'none', toFetch: { tracks: 0, bytes: 0 }, kept: { tracks: 2 } });
    expect((await bytesOfTrack(e, 'a')).equals(media['/media/a.mp3']!)).toBe(true);
    expect(await e.verify()).toMatchObject({ chunksChecked: before.size, corruptChunks: 0 });
    expect(mediaRequests()).toHaveLength(0);

    // A track not stored yet: not-cached at once, fetched first; its chunks land as Blobs beside the old ArrayBuffers.
    const complete = new Promise<void>((resolve) => e.on('track-complete', (x) => (x as { trackId: string }).trackId === 'c' && resolve()));
    await expect(e.getTrack('c')).rejects.toMatchObject({ name: 'not-cached' });
    await complete;
    expect((await bytesOfTrack(e, 'c')).equals(media['/media/c.mp3']!)).toBe(true);
    const after = await valueKinds(factory);
    for (const [d, kind] of before) expect(after.get(d)).toBe(kind); // untouched
    expect([...after].filter(([d]) => !before.has(d)).map(([, k]) => k)).toEqual(['blob', 'blob']);
    expect(mediaRequests().map((r) => r.path)).toEqual(['/media/c.mp3']);
  });

  /** Track t (3 chunks and 500 bytes) stored whole by a first engine, then the chunks at `missing` deleted. */
  async function storedThenDamaged(missing: number[]) {
    const body = bytesOf('t', CHUNK * 3 + 500);
    await publish(origin, { tracks: [{ id: 't', body }], playlists: [{ id: 'p', trackIds: ['t'], offline: true }], epoch: 1 });
    const factory = new IDBFactory();
    const first = await openAsBrowser(factory);
    await first.sync();
    await first.idle();
    await first.close();
    await deleteChunks(factory, missing.map((i) => chunkDigests(body)[i]!));
    return { body, factory };
  }

  it('a track not fully stored: getTrack() rejects not-cached at once with the progress to wait on (bytesDone of bytesTotal)', async () => {
    const { body, factory } = await storedThenDamaged([3, 1]); // the last (500 bytes) and one whole chunk
    const e = await openAsBrowser(factory);
    await e.pause(); // nothing arrives meanwhile
    await expect(e.getTrack('t')).rejects.toMatchObject({ name: 'not-cached', details: { trackId: 't', bytesDone: 2 * CHUNK, bytesTotal: body.length } });
  });

  it('offline, a track not fully stored: getTrack() rejects network (DESIGN "Playback URL"), with the progress', async () => {
    const { body, factory } = await storedThenDamaged([1]);
    const target = new EventTarget();
    vi.stubGlobal('navigator', { onLine: false });
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    try {
      const e = await openAsBrowser(factory);
      expect((await e.status()).state).toEqual({ state: 'paused', reason: 'offline' });
      await expect(e.getTrack('t')).rejects.toMatchObject({ name: 'network', details: { trackId: 't', bytesDone: 2 * CHUNK + 500, bytesTotal: body.length } });
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a browser that refuses Blob values (WebKit ephemeral sessions) gets ArrayBuffers, and plays', async () => {
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if ((value as { bytes?: unknown } | null)?.bytes instanceof Blob) throw new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError');
      return put.call(this, value, key);
    });
    const body = bytesOf('t', CHUNK * 2 + 7);
    await publish(origin, { tracks: [{ id: 't', body }], playlists: [{ id: 'p', trackIds: ['t'], offline: true }], epoch: 1 });
    const factory = new IDBFactory();
    const e = await openAsBrowser(factory);
    await e.sync();
    await e.idle();
    expect([...(await valueKinds(factory)).values()]).toEqual(['buffer', 'buffer', 'buffer']);
    expect((await bytesOfTrack(e, 't')).equals(body)).toBe(true);
    expect(origin.chunksAsked('/media/t.mp3', CHUNK)).toEqual([0, 1, 2]); // nothing fetched twice
  });
});
