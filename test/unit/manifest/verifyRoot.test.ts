import { describe, expect, it } from 'vitest';
import { verifyManifest } from '../../../src/manifest/verifyManifest.js';
import { verifyManifestDocument } from '../../../src/manifest/v2/verifyManifestDocument.js';
import { verifyRoot } from '../../../src/manifest/v2/verifyRoot.js';
import { assembleManifest } from '../../../src/publish/assembleManifest.js';
import { createSigner } from '../../../src/publish/createSigner.js';
import { signManifest } from '../../../src/cli/buildManifest.js';
import { importJWK } from 'jose';
import { key } from '../../helpers/catalog.js';
import { library, mediaIndex, signerFor, verifyContext } from './v2Fixture.js';

const index = mediaIndex(20);

async function root(overrides: Partial<Parameters<typeof assembleManifest>[0]> = {}) {
  return assembleManifest({ ...library(index), securityEpoch: 3, version: 10, issuedAt: new Date('2026-11-29T08:00:00Z'), signer: await signerFor(), ...overrides });
}

async function v1Jws(epoch: number): Promise<string> {
  const k = await key('k1');
  const payload = { format: 'reprise-manifest/1', securityEpoch: epoch, issuedAt: '2026-11-29T08:00:00Z', playlists: [], tracks: [] };
  return signManifest(payload, (await importJWK(k.privateJwk, 'ES256')) as CryptoKey, 'k1');
}

describe('verifyRoot', () => {
  it('accepts a root the publisher signed and returns its payload hash', async () => {
    const { jws, root: payload } = await root();
    const verified = await verifyRoot(jws, await verifyContext());
    expect(verified.root).toEqual(payload);
    expect(verified.kid).toBe('k1');
    expect(verified.payloadSha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a lower version than the last accepted for the subject, across epochs', async () => {
    const { jws } = await root({ version: 9, securityEpoch: 4, subject: 'u42' });
    const seen: (string | undefined)[] = [];
    const ctx = await verifyContext({ lastVersion: (subject) => (seen.push(subject), { version: 10, payloadSha256: 'x'.repeat(43) }) });
    await expect(verifyRoot(jws, ctx)).rejects.toMatchObject({ name: 'manifest-rollback', details: { path: 'version', version: 9, lastVersion: 10 } });
    expect(seen).toEqual(['u42']);
  });

  it('refuses the same version with a different payload, accepts it with the same payload', async () => {
    const first = await root();
    const { payloadSha256 } = await verifyRoot(first.jws, await verifyContext());
    const last = { version: 10, payloadSha256 };
    // Re-signed (ECDSA signatures differ each time), same payload: the same root.
    const resigned = await (await signerFor()).sign(new TextEncoder().encode(JSON.stringify(first.root)), 'reprise-manifest-2+jws');
    expect(resigned).not.toBe(first.jws);
    await expect(verifyRoot(resigned, await verifyContext({ lastVersion: () => last }))).resolves.toMatchObject({ payloadSha256 });
    const other = await root({ issuedAt: new Date('2026-11-29T08:00:01Z') });
    await expect(verifyRoot(other.jws, await verifyContext({ lastVersion: () => last }))).rejects.toMatchObject({ name: 'manifest-rollback', details: { path: 'version' } });
  });

  it('applies v1 rules: epoch rollback, expiry, self-revocation, unknown key', async () => {
    await expect(verifyRoot((await root({ securityEpoch: 2 })).jws, await verifyContext({ minEpoch: 3 }))).rejects.toMatchObject({ name: 'manifest-rollback', details: { path: 'securityEpoch' } });
    await expect(verifyRoot((await root({ expiresAt: new Date('2026-11-29T08:30:00Z') })).jws, await verifyContext())).rejects.toMatchObject({ name: 'manifest-expired' });
    await expect(verifyRoot((await root({ signer: await signerFor('k3') })).jws, await verifyContext())).rejects.toMatchObject({ name: 'manifest-signature', details: { reason: 'unknown-kid' } });
    const selfRevoking = await createSigner({ privateJwk: (await key('k2')).privateJwk });
    const payload = { ...(await root()).root, revokedKeyIds: ['k2'] };
    const jws = await selfRevoking.sign(new TextEncoder().encode(JSON.stringify(payload)), 'reprise-manifest-2+jws');
    await expect(verifyRoot(jws, await verifyContext())).rejects.toMatchObject({ name: 'manifest-signature', details: { reason: 'self-revoked' } });
  });

  it('refuses a root over maxRootBytes, naming the limit and its option', async () => {
    const { jws } = await root();
    const error = await verifyRoot(jws, await verifyContext({ limits: { maxManifestBytes: 1e6, maxRootBytes: 200, maxPartBytes: 1e6, maxTracks: 100, maxTrackBytes: 1e9 } })).catch((e) => e);
    expect(error).toMatchObject({ name: 'manifest-invalid', details: { limit: 'maxRootBytes' } });
    expect(error.message).toMatch(/over maxRootBytes \(200\); raise the option limits\.maxRootBytes/);
  });
});

describe('verifyManifestDocument', () => {
  it('tells the formats apart after one signature check', async () => {
    const ctx = await verifyContext();
    expect(await verifyManifestDocument((await root()).jws, ctx)).toMatchObject({ format: 2, root: { version: 10 } });
    expect(await verifyManifestDocument(await v1Jws(3), ctx)).toMatchObject({ format: 1, manifest: { securityEpoch: 3 } });
  });

  it('refuses a v1 manifest after a v2 root in the same epoch; accepts it in a higher epoch', async () => {
    const ctx = await verifyContext({ minEpoch: 3, formatTwoEpoch: 3 });
    await expect(verifyManifestDocument(await v1Jws(3), ctx)).rejects.toMatchObject({ name: 'manifest-rollback', details: { path: 'format', formatTwoEpoch: 3 } });
    await expect(verifyManifest(await v1Jws(3), ctx)).rejects.toMatchObject({ name: 'manifest-rollback' });
    await expect(verifyManifestDocument(await v1Jws(4), ctx)).resolves.toMatchObject({ format: 1 });
  });
});
