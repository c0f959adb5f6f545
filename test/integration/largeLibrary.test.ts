// Issue 20, libraries of 10,000 tracks and more: format 2's chunk lists for a playlist made
// offline while the root is unchanged (304), and the sync's passes over the library.
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
