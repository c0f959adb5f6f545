// Issue 16 item 2: chunk bytes as files in the origin private file system, written by the cache
// worker with createSyncAccessHandle, the records in IndexedDB; IndexedDB where there is no OPFS
// (WebKitGTK) or when the app asks for it. What a user depends on: the bytes play back exact, a
// missing or damaged file is found and only it is fetched again, nothing is left behind.
import { afterEach, expect } from 'vitest';
import { bytesOf } from '../helpers/catalog.js';
import { type EnginePage, eachEngine, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
const TRACKS = [
  { id: 'f1', body: bytesOf('files-1', 5 * CHUNK + 123) },
  { id: 'f2', body: bytesOf('files-2', 3 * CHUNK) },
];
const PLAYLISTS = [{ id: 'p', trackIds: ['f1', 'f2'], offline: true }];

/** In the page: how the records of database `dbName` store their chunks, and the OPFS files of that database whose bytes hash to their name. */
function storedKinds(page: EnginePage, dbName = 'reprise') {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(dbName);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = <T>(what: 'getAllKeys' | 'getAll') =>
      new Promise<T>((resolve, reject) => {
        const q = db.transaction('chunks').objectStore('chunks')[what]();
        q.onsuccess = () => resolve(q.result as T);
        q.onerror = () => reject(q.error);
      });
    const keys = await all<string[]>('getAllKeys');
    const values = await all<({ file: number } | { bytes: unknown })[]>('getAll');
    db.close();
    const b64 = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const files: { name: string; matches: boolean }[] = [];
    if (typeof navigator.storage?.getDirectory === 'function') {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle('reprise-chunks', { create: true })).getDirectoryHandle(encodeURIComponent(dbName), { create: true });
      for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemFileHandle]>) {
        files.push({ name, matches: b64(await crypto.subtle.digest('SHA-256', await (await handle.getFile()).arrayBuffer())) === name });
      }
    }
    return {
      records: keys.length,
      file: values.filter((v) => 'file' in v).length,
      blob: values.filter((v) => 'bytes' in v && v.bytes instanceof Blob).length,
      buffer: values.filter((v) => 'bytes' in v && v.bytes instanceof ArrayBuffer).length,
      keys: keys.sort(),
      files: files.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }, dbName);
}

eachEngine('chunk storage', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>> | undefined;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
    page = site = undefined;
  });

  const open = (options: object) =>
    page!.evaluate(async (options: object) => {
      const w = window as never as Record<string, any>;
      await w.cache?.close();
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
      const report = await w.cache.sync();
      await w.cache.idle();
      const tracks: { id: string; state: string }[] = (await w.cache.status()).tracks;
      const bodies: Record<string, string> = {};
      for (const t of tracks) bodies[t.id] = await toBase64(await w.cache.getTrack(t.id));
      return { report: { kind: report.kind as string, corruptChunks: report.corruptChunks as number, missingChunks: report.missingChunks as number }, states: tracks.map((t) => t.state), bodies };
    }, options);
  const expectBodies = (bodies: Record<string, string>) => {
    for (const t of TRACKS) expect(Buffer.from(bodies[t.id]!, 'base64').equals(t.body), `${t.id} reads back exact`).toBe(true);
  };
  const chunkCount = TRACKS.reduce((n, t) => n + Math.ceil(t.body.length / CHUNK), 0);

  suite.test('a playlist kept offline: files in OPFS where the worker can write them, else Blobs in IndexedDB; chunkStorage "indexeddb" keeps IndexedDB', {}, async () => {
    site = await startSite(TRACKS, PLAYLISTS, CHUNK);
    page = await openPage(suite.browser, site.url);
    const first = await open(site.options);
    expect(first.states).toEqual(['complete', 'complete']);
    expectBodies(first.bodies);
    const kinds = await storedKinds(page);
    expect(kinds.records).toBe(chunkCount);
    if (suite.features.has.opfs) {
      expect([kinds.file, kinds.blob, kinds.buffer]).toEqual([chunkCount, 0, 0]);
      // One file per record, named by its digest, holding exactly the chunk.
      expect(kinds.files).toEqual(kinds.keys.map((name) => ({ name, matches: true })));
    } else {
      expect([kinds.file, kinds.blob, kinds.buffer]).toEqual([0, chunkCount, 0]);
    }
    const chosen = await open({ ...site.options, dbName: 'in-idb', chunkStorage: 'indexeddb' });
    expectBodies(chosen.bodies);
    const idb = await storedKinds(page, 'in-idb');
    expect([idb.file, idb.blob, idb.buffer]).toEqual([0, chunkCount, 0]);
    expect(idb.files).toEqual([]);
    expect(await page.errors()).toEqual([]);
  });

  if (suite.engine.name !== 'webkit') {
    suite.test('a chunk file deleted and one damaged: a security reset finds both and fetches only them again; orphaned files are removed', { needs: ['opfs'] }, async () => {
      site = await startSite(TRACKS, PLAYLISTS, CHUNK);
      page = await openPage(suite.browser, site.url);
      expectBodies((await open(site.options)).bodies);
      const kinds = await storedKinds(page);
      const [gone, damaged] = [kinds.keys[1]!, kinds.keys[4]!];
      await page.evaluate(
        async ({ gone, damaged }) => {
          await (window as never as Record<string, any>).cache.close();
          const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('reprise-chunks')).getDirectoryHandle('reprise');
          await dir.removeEntry(gone);
          // A failing disk flips a byte in place.
          const handle = await dir.getFileHandle(damaged);
          const writable = await handle.createWritable({ keepExistingData: true });
          await writable.write({ type: 'write', position: 100, data: new Uint8Array([0xff ^ new Uint8Array(await (await handle.getFile()).slice(100, 101).arrayBuffer())[0]!]) });
          await writable.close();
          // Files no record names: a write cut short before its record committed.
          for (const name of ['orphan-1', 'orphan-2']) {
            const h = await dir.getFileHandle(name, { create: true });
            const w = await h.createWritable();
            await w.write(new Uint8Array([1, 2, 3]));
            await w.close();
          }
        },
        { gone, damaged },
      );
      const before = site.origin.log.filter((r) => r.path.startsWith('/media/')).length;
      await site.publish(TRACKS, 2); // the security epoch bumped: every stored byte is checked again
      const after = await open(site.options);
      expect(after.report.kind).toBe('security-epoch');
      expect(after.report.corruptChunks).toBe(2); // the missing file reads as no bytes: it fails its digest too
      expectBodies(after.bodies);
      const requests = site.origin.log.slice(before).filter((r) => r.path.startsWith('/media/'));
      expect(requests.reduce((n, r) => n + r.bytes, 0)).toBe(2 * CHUNK); // both chunks are whole 64 KiB ones
      const swept = await storedKinds(page);
      expect(swept.files).toEqual(swept.keys.map((name) => ({ name, matches: true })));
      expect(await page.errors()).toEqual([]);
    });

    suite.test('a database deleted under its files (storage wiped in part): the next open removes them and downloads again', { needs: ['opfs'] }, async () => {
      site = await startSite(TRACKS, PLAYLISTS, CHUNK);
      page = await openPage(suite.browser, site.url);
      expectBodies((await open(site.options)).bodies);
      const names = await page.evaluate(async () => {
        await (window as never as Record<string, any>).cache.close();
        (window as never as Record<string, any>).cache = undefined;
        await new Promise((resolve, reject) => {
          const del = indexedDB.deleteDatabase('reprise');
          del.onsuccess = resolve;
          del.onerror = () => reject(del.error);
        });
        const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('reprise-chunks')).getDirectoryHandle('reprise');
        const names: string[] = [];
        for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
        return names;
      });
      expect(names).toHaveLength(chunkCount); // the files outlived their records
      const again = await open(site.options);
      expect(again.report.kind).toBe('storage-lost');
      expectBodies(again.bodies);
      const now = await storedKinds(page);
      expect(now.files).toEqual(now.keys.map((name) => ({ name, matches: true })));
      expect(await page.errors()).toEqual([]);
    });
  }
});
