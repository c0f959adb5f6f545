import { readFileSync } from 'node:fs';
import { wrap, type IDBPDatabase } from 'idb';
import type { CacheEngine } from '../../src/engine/index.js';
import { bytesOf, CHUNK, chunkDigests, openEngine, publish, type TrackSpec } from '../helpers/catalog.js';
import { corruptChunks, deleteChunks } from '../helpers/damage.js';
import type { TestOrigin } from '../helpers/origin.js';
import type { CutFile } from '../helpers/storeAudit.js';

/** The media a scenario serves, as the final manifest cuts it, and what must end complete. */
export interface Expectation {
  files: (CutFile & { id: string; body: Buffer })[];
  /** Tracks that must end complete and byte-identical. */
  offline: string[];
}

/**
 * One operation to stop abruptly: `prepare` builds the store before it (a normal engine, closed
 * cleanly), `act` runs it on the engine that will be killed, `resume` is what the app does after
 * the restart (sync, and the user's action again: it may not have been recorded).
 */
export interface CrashScenario {
  name: string;
  kids: string[];
  engineOptions?: { maxBytes?: number; trustedKeys?: never[] };
  prepare(origin: TestOrigin, factory: IDBFactory): Promise<Expectation>;
  act(engine: CacheEngine): Promise<void>;
  resume(engine: CacheEngine): Promise<void>;
}

const track = (id: string, size: number): TrackSpec => ({ id, body: bytesOf(`crash-${id}`, size) });
const cut = (t: TrackSpec): Expectation['files'][number] => ({ id: t.id, body: t.body, path: `/media/${t.id}.mp3`, size: t.body.length, chunkSize: CHUNK, chunks: chunkDigests(t.body) });
const T = [track('t1', CHUNK * 3 + 1000), track('t2', CHUNK * 2), track('t3', CHUNK * 2 + 5), track('t4', CHUNK + 17)];
const download = async (engine: CacheEngine) => {
  await engine.sync();
  await engine.idle();
};

async function completeWith(origin: TestOrigin, factory: IDBFactory, kids: string[], then: (e: CacheEngine) => Promise<void>, maxBytes?: number) {
  const engine = await openEngine(origin, { indexedDB: factory, kids, ...(maxBytes ? { maxBytes } : {}) });
  await download(engine);
  await then(engine);
  await engine.idle();
  await engine.close();
}

export const SCENARIOS: CrashScenario[] = [
  {
    name: 'first install',
    kids: ['k1'],
    async prepare(origin) {
      await publish(origin, { tracks: T, playlists: [{ id: 'p', trackIds: ['t1', 't2', 't3', 't4'], offline: true }] });
      return { files: T.map(cut), offline: ['t1', 't2', 't3', 't4'] };
    },
    act: download,
    resume: download,
  },
  {
    name: 'security reset after damage (audit, then the damage fetched again)',
    kids: ['k1', 'k2'],
    async prepare(origin, factory) {
      await publish(origin, { tracks: T, playlists: [{ id: 'p', trackIds: ['t1', 't2', 't3', 't4'], offline: true }] });
      await completeWith(origin, factory, this.kids, async () => {});
      const files = T.map(cut);
      await corruptChunks(factory, [files[0]!.chunks[1]!, files[1]!.chunks[0]!]);
      await deleteChunks(factory, files[2]!.chunks);
      await publish(origin, { tracks: T, playlists: [{ id: 'p', trackIds: ['t1', 't2', 't3', 't4'], offline: true }], epoch: 2, kid: 'k2' });
      return { files, offline: ['t1', 't2', 't3', 't4'] };
    },
    act: download,
    resume: download,
  },
  {
    name: 'eviction under maxBytes (a second playlist pushes out the first)',
    kids: ['k1'],
    engineOptions: { maxBytes: CHUNK * 7 },
    async prepare(origin, factory) {
      await publish(origin, { tracks: T, playlists: [{ id: 'a', trackIds: ['t1', 't2'] }, { id: 'b', trackIds: ['t3', 't4'] }] });
      await completeWith(origin, factory, this.kids, (e) => e.setOffline('a', true), CHUNK * 7);
      return { files: T.map(cut), offline: ['t3', 't4'] };
    },
    act: async (engine) => {
      await engine.setOffline('b', true);
      await engine.idle();
    },
    resume: async (engine) => {
      await engine.sync();
      await engine.setOffline('b', true);
      await engine.idle();
    },
  },
  {
    name: 'removal of a playlist that shares a track with another',
    kids: ['k1'],
    async prepare(origin, factory) {
      await publish(origin, { tracks: T, playlists: [{ id: 'a', trackIds: ['t1', 't2'] }, { id: 'b', trackIds: ['t2', 't3', 't4'] }] });
      await completeWith(origin, factory, this.kids, async (e) => {
        await e.setOffline('a', true);
        await e.setOffline('b', true);
      });
      return { files: T.map(cut), offline: ['t2', 't3', 't4'] };
    },
    act: async (engine) => {
      await engine.remove('a');
      await engine.idle();
    },
    resume: async (engine) => {
      await engine.sync();
      await engine.remove('a');
      await engine.idle();
    },
  },
  {
    name: 'schema migration from a version-1 store, then a download',
    kids: [],
    async prepare(origin, factory) {
      const fixture = STORE_V1;
      origin.put('/manifest.jws', fixture.manifestJws);
      for (const [path, b64] of Object.entries(fixture.media)) origin.put(path, Buffer.from(b64, 'base64'));
      await loadStore(factory, fixture);
      const files = Object.entries(fixture.media).map(([path, b64]) => {
        const body = Buffer.from(b64, 'base64');
        return { id: /\/media\/(\w+)\.mp3/.exec(path)![1]!, body, path, size: body.length, chunkSize: CHUNK, chunks: chunkDigests(body) };
      });
      return { files, offline: ['a', 'b', 'c'] };
    },
    act: async (engine) => {
      await engine.sync();
      await engine.setOffline('other', true);
      await engine.idle();
    },
    resume: async (engine) => {
      await engine.sync();
      await engine.setOffline('other', true);
      await engine.idle();
    },
  },
];

interface StoreFixture {
  schemaVersion: number;
  keys: { public: never };
  manifestJws: string;
  media: Record<string, string>;
  schema: Record<string, { keyPath: string | null }>;
  stores: Record<string, [IDBValidKey, unknown][]>;
}
const STORE_V1 = JSON.parse(readFileSync(new URL('../fixtures/store-v1.json', import.meta.url), 'utf8')) as StoreFixture;
SCENARIOS[4]!.engineOptions = { trustedKeys: [STORE_V1.keys.public] };

/** Writes a fixture's database (test/fixtures/make-store-fixture.ts) into a factory. */
async function loadStore(factory: IDBFactory, fixture: StoreFixture): Promise<void> {
  const request = factory.open('reprise', fixture.schemaVersion);
  request.onupgradeneeded = () => {
    for (const [name, { keyPath }] of Object.entries(fixture.schema)) request.result.createObjectStore(name, keyPath ? { keyPath } : undefined);
  };
  const db = (await wrap(request)) as unknown as IDBPDatabase;
  const decode = (v: unknown): unknown =>
    v && typeof v === 'object' && '$bytes' in v
      ? new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64')).buffer
      : Array.isArray(v)
        ? v.map(decode)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]))
          : v;
  for (const [name, rows] of Object.entries(fixture.stores)) for (const [k, v] of rows) await db.put(name, decode(v), fixture.schema[name]!.keyPath ? undefined : k);
  db.close();
}
