import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../../src/cli/buildManifest.js';
import { generateKeys } from '../../src/cli/keys.js';
import { createCacheEngine } from '../../src/engine/index.js';
import { IDBFactory } from 'fake-indexeddb';
import { bytesOf } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

describe('a folder of files → the manifest tool → the engine → getTrack', () => {
  let dir: string;
  let origin: TestOrigin;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reprise-media-'));
    origin = await TestOrigin.start();
  });
  afterAll(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns byte-identical files, including a duplicate and a short last chunk', async () => {
    await mkdir(join(dir, 'road'), { recursive: true });
    const files: Record<string, Buffer> = {
      'road/one.mp3': bytesOf('one', 300_001),
      'road/two.mp3': bytesOf('two', 65_536 * 3),
      'road/copy of one.mp3': bytesOf('one', 300_001), // equal content, another id
      'calm/three.ogg': bytesOf('three', 1),
    };
    for (const [name, body] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), body);
    }
    const keys = await generateKeys('k-test');
    const { jws, manifest } = await buildManifest({
      dir,
      baseUrl: 'media/',
      privateJwk: keys.privateJwk,
      epoch: 1,
      chunkSize: 64 * 1024,
      playlists: [
        { name: 'Road trip', glob: 'road/*.mp3', offline: true },
        { name: 'Calm', glob: 'calm/**' },
      ],
    });
    origin.put('/manifest.jws', jws);
    for (const name of await listRec(dir)) origin.put(`/media/${name}`, await readFile(join(dir, name)));

    const engine = await createCacheEngine({ manifestUrl: `${origin.url}/manifest.jws`, trustedKeys: [keys.publicJwk as never], indexedDB: new IDBFactory() });
    const report = await engine.sync();
    expect(report.manifest).toBe('accepted');
    expect(report.toFetch.tracks).toBe(3);
    await engine.idle();
    await engine.setOffline('calm', true);
    await engine.idle();

    for (const track of manifest.tracks) {
      const file = decodeURIComponent(track.url.replace(/^media\//, ''));
      const blob = await engine.getTrack(track.id);
      expect(blob.type).toBe(track.mimeType);
      expect(Buffer.from(await blob.arrayBuffer()).equals(files[file]!)).toBe(true);
    }
    // Equal content is fetched once: "copy of one" shares every chunk with "one".
    const oneRequests = origin.log.filter((r) => r.path.includes('one.mp3'));
    expect(new Set(oneRequests.map((r) => r.path)).size).toBe(1);
    expect(oneRequests.map((r) => r.range)).toEqual([...new Set(oneRequests.map((r) => r.range))]); // no range asked twice
    const status = await engine.status();
    expect(status.playlists.find((p) => p.id === 'road-trip')).toMatchObject({ offline: true, source: 'service', tracksComplete: 3 });
    expect(status.playlists.find((p) => p.id === 'calm')).toMatchObject({ offline: true, source: 'device', tracksComplete: 1 });
    await engine.close();
  });
});

async function listRec(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listRec(dir, rel)));
    else if (!rel.endsWith('.jws')) out.push(rel);
  }
  return out;
}
