import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentIdOf } from '../../../src/manifest/contentId.js';
import { ID_PATTERN, manifestSchema } from '../../../src/manifest/schema.js';
import { importTrustedKeys } from '../../../src/manifest/trustedKeys.js';
import { allowedOriginSet, resolveTrackUrl } from '../../../src/manifest/trackOrigins.js';
import { key } from '../../helpers/catalog.js';

const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

const valid = () => ({
  format: 'reprise-manifest/1',
  securityEpoch: 3,
  issuedAt: '2026-11-22T08:00:00Z',
  playlists: [{ id: 'road-trip', name: 'Road trip', trackIds: ['t1'], offline: true }],
  tracks: [{ id: 't1', url: 'media/t1.mp3', mimeType: 'audio/mpeg', size: 262145, chunkSize: 262144, chunks: [digest('a'), digest('b')] }],
});

describe('manifest schema', () => {
  it('accepts the docs/how-it-works.md example shape and ignores unknown fields', () => {
    const m = { ...valid(), futureField: { x: 1 }, resync: { windowSeconds: 900, maxBytesPerSecond: 4e6, maxConcurrent: 4 } };
    const parsed = manifestSchema().parse(m);
    expect(parsed).not.toHaveProperty('futureField');
    expect(parsed.resync).toEqual({ windowSeconds: 900, maxBytesPerSecond: 4e6, maxConcurrent: 4 });
  });

  it.each([
    ['size is not an integer', (m: ReturnType<typeof valid>) => ((m.tracks[0] as { size: unknown }).size = '262145'), 'tracks.0.size'],
    ['chunkSize below 64 KiB', (m: ReturnType<typeof valid>) => (m.tracks[0]!.chunkSize = 32768), 'tracks.0.chunkSize'],
    ['chunkSize above 8 MiB', (m: ReturnType<typeof valid>) => (m.tracks[0]!.chunkSize = 16 * 1024 * 1024), 'tracks.0.chunkSize'],
    ['a digest that is not base64url SHA-256', (m: ReturnType<typeof valid>) => (m.tracks[0]!.chunks[1] = 'abc'), 'tracks.0.chunks.1'],
    ['a repeated track id', (m: ReturnType<typeof valid>) => m.tracks.push({ ...m.tracks[0]! }), 'tracks.1.id'],
    ['issuedAt that is not a date', (m: ReturnType<typeof valid>) => (m.issuedAt = 'yesterday'), 'issuedAt'],
    ['a missing playlists field', (m: ReturnType<typeof valid>) => delete (m as Partial<typeof m>).playlists, 'playlists'],
    ['a negative epoch', (m: ReturnType<typeof valid>) => (m.securityEpoch = -1), 'securityEpoch'],
    ['the track id "."', (m: ReturnType<typeof valid>) => (m.tracks[0]!.id = m.playlists[0]!.trackIds[0] = '.'), 'tracks.0.id'],
    ['the track id ".."', (m: ReturnType<typeof valid>) => (m.tracks[0]!.id = m.playlists[0]!.trackIds[0] = '..'), 'tracks.0.id'],
  ])('refuses %s, naming %s', (_, breakIt, path) => {
    const m = valid();
    breakIt(m);
    const result = manifestSchema().safeParse(m);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('every id it accepts reaches the service worker whole in trackUrl() (a URL path drops the segments "." and "..")', () => {
    const scope = 'https://app.example/player/__reprise__/track/';
    const served = (id: string) => decodeURIComponent(new URL(scope + encodeURIComponent(id)).pathname.slice(new URL(scope).pathname.length));
    for (const id of ['...', '.a', 'a.', '.:', '-.']) expect([id, ID_PATTERN.test(id), served(id)]).toEqual([id, true, id]);
    for (const id of ['.', '..']) expect(ID_PATTERN.test(id)).toBe(false);
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/), (id) => !ID_PATTERN.test(id) || served(id) === id));
  });

  it('applies the track-count and track-size limits', () => {
    const m = valid();
    expect(manifestSchema({ maxManifestBytes: 1e6, maxTracks: 0, maxTrackBytes: 1e9 }).safeParse(m).success).toBe(false);
    expect(manifestSchema({ maxManifestBytes: 1e6, maxTracks: 10, maxTrackBytes: 1000 }).safeParse(m).error!.issues[0]!.path).toEqual(['tracks', 0, 'size']);
  });

  it('checks chunks.length === ceil(size / chunkSize) for any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000_000 }), fc.constantFrom(65536, 262144, 1 << 20, 8 << 20), fc.integer({ min: -1, max: 1 }), (size, chunkSize, delta) => {
        const n = Math.ceil(size / chunkSize) + delta;
        if (n < 0) return;
        const m = valid();
        m.tracks[0] = { ...m.tracks[0]!, size, chunkSize, chunks: Array.from({ length: n }, (_, i) => digest(String(i))) };
        expect(manifestSchema().safeParse(m).success).toBe(delta === 0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('content id', () => {
  it('is base64url(SHA-256(concatenated raw chunk digests))', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string(), { minLength: 1, maxLength: 20 }), async (parts) => {
        const digests = parts.map(digest);
        const raw = Buffer.concat(digests.map((d) => Buffer.from(d, 'base64url')));
        expect(await contentIdOf(digests)).toBe(createHash('sha256').update(raw).digest('base64url'));
      }),
      { numRuns: 50 },
    );
  });
});

describe('track origins', () => {
  const allowed = allowedOriginSet('https://music.example/offline/manifest.jws', ['https://cdn.example:8443/']);
  it.each([
    ['media/t1.mp3', 'https://music.example/offline/media/t1.mp3'],
    ['/m/t1.mp3', 'https://music.example/m/t1.mp3'],
    ['https://cdn.example:8443/a.mp3', 'https://cdn.example:8443/a.mp3'],
  ])('resolves %s against the manifest URL', (url, expected) => {
    expect(resolveTrackUrl(url, 'https://music.example/offline/manifest.jws', allowed, 't').href).toBe(expected);
  });
  it.each(['https://cdn.example/a.mp3', 'http://music.example/a.mp3', '//evil.example/a.mp3', 'data:audio/mpeg;base64,AAAA', 'javascript:alert(1)'])('refuses %s', (url) => {
    expect(() => resolveTrackUrl(url, 'https://music.example/offline/manifest.jws', allowed, 't')).toThrow(expect.objectContaining({ name: 'origin-not-allowed' }));
  });
});

describe('trusted keys', () => {
  it('refuses the same kid twice', async () => {
    const { publicJwk } = await key('k1');
    await expect(importTrustedKeys([publicJwk as never, publicJwk as never])).rejects.toMatchObject({ name: 'invalid-argument' });
  });
});
