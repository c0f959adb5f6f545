// Format 1 at scale: a manifest's tracks are checked one by one between yields (issue 20), with
// the same result and the same refusals as the schema checked at once.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRepriseError } from '../../../src/errors/RepriseError.js';
import { importTrustedKeys, type PublicJwk } from '../../../src/manifest/trustedKeys.js';
import { TaskSlicer } from '../../../src/manifest/v2/TaskSlicer.js';
import { acceptManifestV1, type VerifyContext, verifyManifest } from '../../../src/manifest/verifyManifest.js';
import { verifyJws } from '../../../src/manifest/verifyJws.js';
import { key, sign } from '../../helpers/catalog.js';

const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

function manifest(tracks: number) {
  const list = Array.from({ length: tracks }, (_, i) => {
    const size = 1_000_000 + ((i * 7919) % 2_000_000);
    return { id: `t${i}`, url: `media/${i}.mp3`, mimeType: 'audio/mpeg', size, chunkSize: 262_144, chunks: Array.from({ length: Math.ceil(size / 262_144) }, (_, c) => digest(`${i}:${c}`)), extra: 'dropped' };
  });
  return { format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: '2026-11-29T08:00:00Z', playlists: [{ id: 'p', name: 'P', trackIds: list.map((t) => t.id) }], tracks: list };
}

async function context(): Promise<VerifyContext> {
  return { trustedKeys: await importTrustedKeys([(await key('k1')).publicJwk as unknown as PublicJwk]), revokedKeyIds: new Set(), minEpoch: 0, now: Date.parse('2026-11-29T09:00:00Z') };
}

/** A slicer whose clock moves 1 ms per look: it yields every 8 checks, whatever the machine's speed. */
const countingSlicer = () => {
  let t = 0;
  return new TaskSlicer(8, () => t++, () => Promise.resolve());
};

/** The refusal (code, message, details) or the manifest, from the sliced path and from the schema at once. */
async function both(payload: unknown) {
  const jws = await sign(payload, 'k1');
  const ctx = await context();
  const outcome = async (f: () => Promise<unknown>) => f().then((v) => ({ ok: v }), (e: unknown) => (isRepriseError(e) ? { code: e.name, message: e.message, details: e.details } : { thrown: String(e) }));
  const slicer = countingSlicer();
  const sliced = await outcome(() => verifyManifest(jws, ctx, slicer));
  const atOnce = await outcome(async () => acceptManifestV1(await verifyJws(jws, ctx, { name: 'maxManifestBytes', bytes: 32 * 1024 * 1024, what: 'the manifest' }), ctx));
  return { sliced, atOnce, yields: slicer.yieldCount };
}

describe('format 1 checked in slices', () => {
  it('2,000 tracks: yields between tracks, and gives what the whole schema gives', async () => {
    const { sliced, atOnce, yields } = await both(manifest(2_000));
    expect(yields).toBeGreaterThanOrEqual(3);
    expect(sliced).toEqual(atOnce);
    expect((sliced as { ok: { manifest: { tracks: object[] } } }).ok.manifest.tracks[3]).not.toHaveProperty('extra');
  });

  it('refuses as the whole schema does: a bad digest deep in the list, a repeated id, a dangling trackIds entry, a bad header field', async () => {
    const cases: ((m: ReturnType<typeof manifest>) => void)[] = [
      (m) => (m.tracks[1500]!.chunks[2] = 'not-a-digest'),
      (m) => (m.tracks[1700]!.id = 't3'),
      (m) => m.playlists[0]!.trackIds.push('nowhere'),
      (m) => ((m as { securityEpoch: unknown }).securityEpoch = 'one'),
      (m) => (m.tracks[1999]!.size = 0),
    ];
    for (const mutate of cases) {
      const m = manifest(2_000);
      mutate(m);
      const { sliced, atOnce } = await both(m);
      expect(sliced).toMatchObject({ code: 'manifest-invalid' });
      expect(sliced).toEqual(atOnce);
    }
  }, 60_000);
});
