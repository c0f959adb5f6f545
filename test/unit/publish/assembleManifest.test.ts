import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentIdOf } from '../../../src/manifest/contentId.js';
import { DEFAULT_LIMITS } from '../../../src/manifest/limits.js';
import { partSchema } from '../../../src/manifest/v2/partSchema.js';
import { assembleManifest } from '../../../src/publish/assembleManifest.js';
import { digestFile } from '../../../src/publish/digestFile.js';
import { writeManifest } from '../../../src/publish/writeManifest.js';
import { bytesOf, chunkDigests } from '../../helpers/catalog.js';
import { library, mediaIndex, signerFor } from '../manifest/v2Fixture.js';

describe('digestFile', () => {
  it('gives the content id of v1 (SHA-256 of the chunk list) and the chunk list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reprise-digest-'));
    try {
      const body = bytesOf('song', 3 * 65536 + 17);
      await writeFile(join(dir, 'a.mp3'), body);
      const d = await digestFile(join(dir, 'a.mp3'), 65536);
      expect(d).toMatchObject({ size: body.length, chunkSize: 65536, contentId: await contentIdOf(chunkDigests(body, 65536)) });
      expect(d.chunkList.byteLength).toBe(4 * 32);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('assembleManifest', () => {
  it('writes parts whose JSON is the entries given, pinned by SHA-256 and length, named by hash', async () => {
    const lib = library(mediaIndex(30), 300, 4);
    const { root, parts } = await assembleManifest({ ...lib, securityEpoch: 2, version: 7, subject: 'u42', signer: await signerFor() });
    expect(root).toMatchObject({ format: 'reprise-manifest/2', securityEpoch: 2, version: 7, subject: 'u42', indexBase: 'index/' });
    expect(root.parts).toEqual(parts.map((p) => ({ url: `parts/${p.sha256}.json`, sha256: p.sha256, bytes: p.body.byteLength })));
    const decoded = parts.map((p) => partSchema().parse(JSON.parse(p.body.toString())));
    expect(decoded.flatMap((p) => p.tracks).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([...lib.tracks].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(decoded.flatMap((p) => p.playlists).map((p) => p.id).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('refuses what devices would refuse: a dangling track id, a part over maxPartBytes, a self-revoking root', async () => {
    const lib = library(mediaIndex(30), 300, 2);
    const signer = await signerFor();
    await expect(assembleManifest({ ...lib, playlists: [{ id: 'x', name: 'x', trackIds: ['nope'] }], securityEpoch: 1, version: 1, signer })).rejects.toMatchObject({
      name: 'invalid-argument',
      details: { path: 'playlists.0.trackIds.0' },
    });
    await expect(assembleManifest({ ...lib, securityEpoch: 1, version: 1, signer, partCount: 1, limits: { ...DEFAULT_LIMITS, maxPartBytes: 10_000 } })).rejects.toMatchObject({
      name: 'invalid-argument',
      details: { path: 'partCount' },
    });
    await expect(assembleManifest({ ...lib, securityEpoch: 1, version: 1, signer, revokedKeyIds: ['k1'] })).rejects.toMatchObject({ name: 'invalid-argument' });
  });

  it('writeManifest puts root, parts and chunk lists where the root says', async () => {
    const index = mediaIndex(3);
    const assembled = await assembleManifest({ ...library(index), securityEpoch: 1, version: 1, signer: await signerFor() });
    const dir = await mkdtemp(join(tmpdir(), 'reprise-write-'));
    try {
      const written = await writeManifest(join(dir, 'manifest.jws'), assembled, index.chunkLists());
      expect(await readFile(join(dir, 'manifest.jws'), 'utf8')).toBe(assembled.jws);
      expect(await readFile(join(dir, assembled.parts[0]!.url))).toEqual(assembled.parts[0]!.body);
      const [contentId, list] = [...index.chunkLists()][0]!;
      expect(new Uint8Array(await readFile(join(dir, 'index', contentId)))).toEqual(new Uint8Array(list));
      expect(written.chunkLists).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
