import { describe, expect, it } from 'vitest';
import { allowedOriginSet } from '../../../src/manifest/trackOrigins.js';
import { loadManifest, type LoadManifestOptions } from '../../../src/manifest/v2/loadManifest.js';
import { TaskSlicer } from '../../../src/manifest/v2/TaskSlicer.js';
import { FakeOrigin, MANIFEST_URL, library, mediaIndex, probeLongestTask, publishTo, verifyContext } from './v2Fixture.js';

const index = mediaIndex(300);
const allowed = allowedOriginSet(MANIFEST_URL, ['https://cdn.example']);

async function options(origin: FakeOrigin, extra: Partial<LoadManifestOptions> = {}): Promise<LoadManifestOptions> {
  return { manifestUrl: MANIFEST_URL, fetch: origin.fetch, allowed, verify: await verifyContext(), ...extra };
}

async function accepted(origin: FakeOrigin, extra: Partial<LoadManifestOptions> = {}) {
  const result = await loadManifest(await options(origin, extra));
  if (result.status !== 'accepted') throw new Error('expected a new manifest');
  return result;
}

describe('loadManifest (format 2)', () => {
  it('accepts a root and its parts as one catalog with content ids and no chunk digests yet', async () => {
    const origin = new FakeOrigin();
    const published = await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, partCount: 4, etag: '"r1"' });
    const result = await accepted(origin);
    expect(result.catalog.format).toBe(2);
    expect(result.catalog.tracks.size).toBe(300);
    expect(result.catalog.playlists.get('p0')!.trackIds).toHaveLength(100);
    expect(result.catalog.tracks.get('t7')).toMatchObject({ contentId: index.get('m7')!.contentId, chunks: undefined, url: 'https://music.example/media/m7.mp3' });
    expect(result.catalog.chunkListUrl(index.get('m7')!.contentId)).toBe(`https://music.example/u/42/index/${index.get('m7')!.contentId}`);
    expect(result.etag).toBe('"r1"');
    expect([...result.newParts.keys()].sort()).toEqual(published.parts.map((p) => p.sha256).sort());
  });

  it('sends the stored ETag; a 304 is "unchanged" and nothing else is fetched', async () => {
    const origin = new FakeOrigin();
    await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, etag: '"r1"' });
    expect(await loadManifest(await options(origin, { etag: '"r1"' }))).toEqual({ status: 'unchanged' });
    expect(origin.requests).toEqual([{ url: MANIFEST_URL, headers: expect.objectContaining({ 'If-None-Match': '"r1"' }) }]);
  });

  it('fetches only the parts whose hash is not held: one track changed costs one part', async () => {
    const origin = new FakeOrigin();
    const lib = library(index);
    const first = await publishTo(origin, { ...lib, securityEpoch: 1, version: 1, partCount: 16 });
    const held = new Map(first.parts.map((p) => [p.sha256, new Uint8Array(p.body)]));
    lib.tracks[5] = { ...lib.tracks[5]!, title: 'Remastered' };
    await publishTo(origin, { ...lib, securityEpoch: 1, version: 2, partCount: 16 });
    origin.requests.length = 0;
    const result = await accepted(origin, { heldParts: (sha) => held.get(sha) });
    expect(origin.requested('parts/')).toHaveLength(1);
    expect(result.newParts.size).toBe(1);
    expect(result.catalog.tracks.get('t5')!.entry.title).toBe('Remastered');
  });

  it('refuses a tampered part, stores nothing (no newParts), names the part', async () => {
    const origin = new FakeOrigin();
    const { parts } = await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, partCount: 4 });
    const body = Buffer.from(parts[2]!.body);
    body[body.indexOf('Track')] = 'X'.charCodeAt(0);
    origin.put(parts[2]!.url, new Uint8Array(body));
    await expect(loadManifest(await options(origin))).rejects.toMatchObject({ name: 'manifest-invalid', details: { path: 'parts.2' } });
  });

  it('refuses a part longer than its root pins while it streams', async () => {
    const origin = new FakeOrigin();
    const { parts } = await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, partCount: 1 });
    const long = new Uint8Array(parts[0]!.bytes + 10 * 1024 * 1024);
    origin.put(parts[0]!.url, long);
    await expect(loadManifest(await options(origin))).rejects.toMatchObject({ name: 'manifest-invalid', details: { path: 'parts.0', limit: 'bytes' } });
    expect(origin.bytesRead.get(new URL(parts[0]!.url, MANIFEST_URL).href)).toBeLessThan(parts[0]!.bytes + 64 * 1024);
  });

  it('refuses the root for a part on a foreign origin, or redirected to one, and a foreign indexBase', async () => {
    const origin = new FakeOrigin();
    await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, partBase: 'https://evil.example/parts/' });
    await expect(loadManifest(await options(origin))).rejects.toMatchObject({ name: 'origin-not-allowed', details: { path: 'parts.0.url' } });
    expect(origin.requested('https://evil.example/')).toHaveLength(0);

    const redirected = new FakeOrigin();
    const { parts } = await publishTo(redirected, { ...library(index), securityEpoch: 1, version: 1, partCount: 2 });
    redirected.put(parts[1]!.url, { body: new Uint8Array(parts[1]!.body), redirectedTo: 'https://evil.example/p.json' });
    await expect(loadManifest(await options(redirected))).rejects.toMatchObject({ name: 'origin-not-allowed' });

    const index2 = new FakeOrigin();
    await publishTo(index2, { ...library(index), securityEpoch: 1, version: 1, indexBase: 'https://evil.example/index/' });
    await expect(loadManifest(await options(index2))).rejects.toMatchObject({ name: 'origin-not-allowed', details: { path: 'indexBase' } });
  });

  it('refuses a mix of parts from two roots', async () => {
    const origin = new FakeOrigin();
    const lib = library(index);
    const a = await publishTo(origin, { ...lib, securityEpoch: 1, version: 1, partCount: 2 });
    lib.tracks[0] = { ...lib.tracks[0]!, title: 'changed' };
    lib.tracks[1] = { ...lib.tracks[1]!, title: 'changed' };
    const b = await publishTo(origin, { ...lib, securityEpoch: 1, version: 2, partCount: 2 });
    // Serve root b, but with a's bytes at each of b's part URLs (a cache mixing two publications).
    b.parts.forEach((p, i) => origin.put(p.url, new Uint8Array(a.parts[i]!.body)));
    const changed = b.parts.filter((p, i) => p.sha256 !== a.parts[i]!.sha256);
    expect(changed.length).toBeGreaterThan(0);
    // Parts are fetched at once: the refusal names whichever mismatching part was checked first.
    const mismatching = changed.map((p) => b.parts.indexOf(p)).join('|');
    await expect(loadManifest(await options(origin))).rejects.toMatchObject({ name: 'manifest-invalid', details: { path: expect.stringMatching(new RegExp(`^parts\\.(${mismatching})$`)) } });
  });

  it('refuses a track id in two parts, naming where', async () => {
    const origin = new FakeOrigin();
    const { tracks, playlists } = library(index, 10, 1);
    const { parts } = await publishTo(origin, { tracks, playlists, securityEpoch: 1, version: 1, partCount: 2 });
    // A root that lists the same part twice lists every id in it twice.
    const signer = (await import('./v2Fixture.js')).signerFor;
    const assembled = await publishTo(origin, { tracks, playlists, securityEpoch: 1, version: 2, partCount: 2 });
    const root = { ...assembled.root, parts: [assembled.root.parts[0]!, { ...assembled.root.parts[0]!, url: 'parts/copy.json' }] };
    origin.put('parts/copy.json', new Uint8Array(parts[0]!.body));
    origin.put(MANIFEST_URL, await (await signer()).sign(new TextEncoder().encode(JSON.stringify(root)), 'reprise-manifest-2+jws'));
    const error = await loadManifest(await options(origin)).catch((e) => e);
    expect(error).toMatchObject({ name: 'manifest-invalid', details: { path: expect.stringMatching(/^parts\.1\.(tracks|playlists)\.0\.id$/) } });
    expect(error.message).toMatch(/repeats (track|playlist) id/);
  });

  it('refuses a track outside the allowed origins alone', async () => {
    const origin = new FakeOrigin();
    const lib = library(index, 5, 1);
    lib.tracks[2] = { ...lib.tracks[2]!, url: 'https://elsewhere.example/t2.mp3' };
    lib.tracks[3] = { ...lib.tracks[3]!, url: 'https://cdn.example/t3.mp3' };
    await publishTo(origin, { ...lib, securityEpoch: 1, version: 1 });
    const { catalog } = await accepted(origin);
    expect(catalog.refused()).toEqual([{ trackId: 't2', code: 'origin-not-allowed' }]);
    expect(catalog.tracks.get('t3')!.url).toBe('https://cdn.example/t3.mp3');
  });

  it('a part that cannot be fetched is "network" (the stored manifest stays in force)', async () => {
    const origin = new FakeOrigin();
    const { parts } = await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1, partCount: 2 });
    origin.files.delete(new URL(parts[0]!.url, MANIFEST_URL).href);
    await expect(loadManifest(await options(origin))).rejects.toMatchObject({ name: 'network', details: { status: 404, path: 'parts.0' } });
  });

  it('asks authorize before each request and retries once on 401 with attempt + 1', async () => {
    const origin = new FakeOrigin();
    await publishTo(origin, { ...library(index, 3, 1), securityEpoch: 1, version: 1 });
    const base = origin.fetch;
    const calls: { url: string; kind: string; attempt: number }[] = [];
    let refused = false;
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string>).Authorization;
      if (!refused && String(input) === MANIFEST_URL) return ((refused = true), new Response('', { status: 401 }));
      return auth === 'Bearer fresh' ? base(input, init) : new Response('', { status: 403 });
    }) as typeof globalThis.fetch;
    const result = await loadManifest(await options(origin, { fetch, authorize: (r) => (calls.push({ url: r.url, kind: r.kind, attempt: r.attempt }), { headers: { Authorization: 'Bearer fresh' } }) }));
    expect(result.status).toBe('accepted');
    expect(calls.map((c) => [c.kind, c.attempt])).toEqual([['manifest', 0], ['manifest', 1], ['manifest', 0]]);
  });

  it('decodes 10,000 tracks in slices no longer than 50 ms', async () => {
    const origin = new FakeOrigin();
    await publishTo(origin, { ...library(mediaIndex(1_000), 10_000, 21), securityEpoch: 1, version: 1 });
    const slicer = new TaskSlicer();
    const probe = probeLongestTask();
    const { catalog } = await accepted(origin, { slicer });
    const longest = probe.stop();
    expect(catalog.tracks.size).toBe(10_000);
    expect(slicer.yieldCount).toBeGreaterThan(1);
    expect(longest.ms).toBeLessThan(50);
  });

  it('accepts 100,000 tracks within the default limits', async () => {
    const origin = new FakeOrigin();
    const big = mediaIndex(1_000);
    const published = await publishTo(origin, { ...library(big, 100_000, 21), securityEpoch: 1, version: 1 });
    expect(published.jws.length).toBeLessThan(1024 * 1024);
    const { catalog } = await accepted(origin);
    expect(catalog.tracks.size).toBe(100_000);
  }, 60_000);
});
