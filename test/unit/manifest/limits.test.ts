import { createHash } from 'node:crypto';
import { importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { signManifest } from '../../../src/cli/buildManifest.js';
import { DEFAULT_LIMITS } from '../../../src/manifest/limits.js';
import { verifyManifest } from '../../../src/manifest/verifyManifest.js';
import { key } from '../../helpers/catalog.js';
import { verifyContext } from './v2Fixture.js';

describe('default manifest limits', () => {
  it('accept a 10,000-track v1 manifest (3–9 MB tracks in 256 KiB chunks)', async () => {
    const chunkSize = 256 * 1024;
    const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
    const tracks = Array.from({ length: 10_000 }, (_, i) => {
      const size = 3_000_000 + ((i * 7919) % 6_000_000);
      return {
        id: `t${i}`,
        url: `media/t${i}.mp3`,
        mimeType: 'audio/mpeg',
        size,
        chunkSize,
        chunks: Array.from({ length: Math.ceil(size / chunkSize) }, (_, c) => digest(`${i}:${c}`)),
        title: `Track ${i}`,
      };
    });
    const manifest = { format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: '2026-11-29T08:00:00Z', playlists: [], tracks };
    const jws = await signManifest(manifest, (await importJWK((await key('k1')).privateJwk, 'ES256')) as CryptoKey, 'k1');
    expect(jws.length).toBeGreaterThan(8 * 1024 * 1024); // what the old 8 MiB default refused
    const verified = await verifyManifest(jws, await verifyContext());
    expect(verified.manifest.tracks).toHaveLength(10_000);
  }, 60_000);

  it('fit at least 100,000 tracks in format 2', () => {
    expect(DEFAULT_LIMITS.maxTracks).toBeGreaterThanOrEqual(100_000);
    expect(DEFAULT_LIMITS.maxRootBytes).toBe(1024 * 1024);
    expect(DEFAULT_LIMITS.maxPartBytes).toBe(4 * 1024 * 1024);
  });
});
