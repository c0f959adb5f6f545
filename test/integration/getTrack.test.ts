// getTrack() (the path without a service worker) answers as DESIGN.md's "Playback URL" table says
// for the client column: a stored chunk gone from the store is missing again (fetched first, the
// track healed); a track that ended not-found rejects not-found; a queue paused unauthorized
// rejects unauthorized.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish, record } from '../helpers/catalog.js';
import { deleteChunks } from '../helpers/damage.js';
import { TestOrigin } from '../helpers/origin.js';
import { until } from '../helpers/wait.js';

let origin: TestOrigin;
let engine: (CacheEngine & { factory: IDBFactory }) | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

const media = () => origin.log.filter((r) => r.path.startsWith('/media/'));
const body = bytesOf('x', 4 * CHUNK);

async function setup(options: Parameters<typeof openEngine>[1] = {}) {
  await publish(origin, { tracks: [{ id: 'x', body }], playlists: [{ id: 'p', trackIds: ['x'], offline: true }] });
  engine = await openEngine(origin, options);
  return engine;
}

describe('getTrack() says what the service worker would', () => {
  it('a stored chunk gone from the store: rejects not-cached with the progress to wait on, the chunk is fetched first, and the track plays again', async () => {
    const e = await setup();
    await e.sync();
    await e.idle();
    await e.getTrack('x');
    const before = media().length;
    await deleteChunks(e.factory, [chunkDigests(body)[2]!]);
    await expect(e.getTrack('x')).rejects.toMatchObject({ name: 'not-cached', details: { trackId: 'x', bytesDone: 3 * CHUNK, bytesTotal: 4 * CHUNK } });
    await until(async () => (await e.status()).tracks[0]!.state === 'complete' && media().length > before, 5000, 'the chunk fetched again');
    expect(Buffer.from(await (await e.getTrack('x')).arrayBuffer()).equals(body)).toBe(true);
  });

  it('a track that ended not-found rejects not-found (each call tries it once more)', async () => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') ? (res.writeHead(404).end(), true) : false));
    const e = await setup();
    const failed = record(e, 'track-failed');
    await e.sync();
    await until(() => failed.length === 1);
    await e.idle();
    await expect(e.getTrack('x')).rejects.toMatchObject({ name: 'not-found', details: { trackId: 'x' } });
    await until(() => failed.length === 2);
    await e.idle();
    await expect(e.getTrack('x')).rejects.toMatchObject({ name: 'not-found' });
  });

  it('a queue paused unauthorized rejects unauthorized', async () => {
    origin.faults.push((req, res) => (req.url!.startsWith('/media/') ? (res.writeHead(401).end(), true) : false));
    const e = await setup();
    await e.sync();
    await until(async () => { const { state } = await e.status(); return state.state === 'paused' && state.reason === 'unauthorized'; });
    await expect(e.getTrack('x')).rejects.toMatchObject({ name: 'unauthorized', details: { trackId: 'x' } });
  });
});
