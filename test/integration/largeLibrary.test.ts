// Issue 20, libraries of 10,000 tracks and more: format 2's chunk lists for a playlist made
// offline while the root is unchanged (304), and the sync's passes over the library.
import { IDBObjectStore as FakeStore } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { CHUNK, bytesOf, openEngine } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { publishV2, rootValidators } from '../helpers/publishV2.js';

const bodies = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => [id, bytesOf(id, CHUNK * 2 + 5)]));
const tracks = () => Object.entries(bodies).map(([id, body]) => ({ id, body }));
const playlists = [
  { id: 'p', trackIds: ['a', 'b', 'c'], offline: true },
  { id: 'q', trackIds: ['d', 'e', 'f'] },
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

const stateOf = async (e: CacheEngine, id: string) => (await e.status()).tracks.find((t) => t.id === id)?.state;

describe('format 2: a playlist made offline under an unchanged root', () => {
  it('setOffline() then sync() answered 304: the playlist\'s chunk lists are fetched and its tracks download', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    origin.log.length = 0;
    await e.setOffline('q', true);
    const report = await e.sync();
    await e.idle();
    const root = origin.requestsFor('/manifest.jws');
    expect(root.map((r) => r.bytes)).toEqual([0]); // a 304
    expect(origin.log.filter((r) => r.path.startsWith('/parts/'))).toEqual([]);
    expect(origin.log.filter((r) => r.path.startsWith('/index/'))).toHaveLength(3);
    for (const id of ['d', 'e', 'f']) expect(await stateOf(e, id)).toBe('complete');
    expect(report.kind).toBe('none');
  });

  it('setOffline() alone (no sync): the playlist downloads', async () => {
    await publishV2(origin, { tracks: tracks(), playlists, version: 1 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    await e.setOffline('q', true);
    await e.idle();
    for (const id of ['d', 'e', 'f']) expect(await stateOf(e, id)).toBe('complete');
  });
});

describe('format 2: a change rewrites what changed', () => {
  it('one track re-published: one chunk list is written, not every offline content\'s again', async () => {
    await publishV2(origin, { tracks: tracks(), playlists: [{ ...playlists[0]!, trackIds: ['a', 'b', 'c', 'd', 'e', 'f'] }], version: 1 });
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.idle();
    const written: string[] = [];
    const realPut = FakeStore.prototype.put;
    FakeStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'chunkLists') written.push(String(args[1]));
      return realPut.apply(this, args);
    } as typeof realPut;
    try {
      bodies.b = bytesOf('b-v2', CHUNK * 2 + 9);
      const assembled = await publishV2(origin, { tracks: tracks(), playlists: [{ ...playlists[0]!, trackIds: ['a', 'b', 'c', 'd', 'e', 'f'] }], version: 2 });
      await e.sync();
      await e.idle();
      const newContent = assembled.parts.flatMap((p) => (JSON.parse(Buffer.from(p.body).toString()) as { tracks: { id: string; contentId: string }[] }).tracks).find((t) => t.id === 'b')!.contentId;
      expect(written).toEqual([newContent]);
      expect(await stateOf(e, 'b')).toBe('complete');
    } finally {
      FakeStore.prototype.put = realPut;
      bodies.b = bytesOf('b', CHUNK * 2 + 5);
    }
  });
});
