import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, exportJWK, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../../src/publish/createSigner.js';
import { toJoseSignature } from '../../../src/publish/ecdsaSignature.js';
import { key } from '../../helpers/catalog.js';

const payload = new TextEncoder().encode('{"format":"reprise-manifest/2"}');

describe('createSigner', () => {
  it('signs with a private JWK: ES256, kid and typ in the protected header', async () => {
    const k = await key('k1');
    const jws = await (await createSigner({ privateJwk: k.privateJwk })).sign(payload, 'reprise-manifest-2+jws');
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'reprise-manifest-2+jws' });
    expect((await compactVerify(jws, await importJWK(k.publicJwk, 'ES256'))).payload).toEqual(payload);
  });

  it('signs through a function holding the key elsewhere, whether it returns DER or R||S', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = await exportJWK(publicKey);
    for (const dsaEncoding of ['der', 'ieee-p1363'] as const) {
      const calls: string[] = [];
      const signer = await createSigner({ kid: 'kms-1', sign: async (input) => (calls.push(new TextDecoder().decode(input)), nodeSign('sha256', input, { key: privateKey, dsaEncoding })) });
      const jws = await signer.sign(payload, 'reprise-manifest-2+jws');
      expect(calls).toEqual([jws.split('.').slice(0, 2).join('.')]);
      expect(decodeProtectedHeader(jws)).toMatchObject({ alg: 'ES256', kid: 'kms-1' });
      expect((await compactVerify(jws, await importJWK(publicJwk, 'ES256'))).payload).toEqual(payload);
    }
  });

  it('refuses a public key, a key without kid, and a signature of neither form', async () => {
    const k = await key('k1');
    await expect(createSigner({ privateJwk: k.publicJwk })).rejects.toMatchObject({ name: 'invalid-argument' });
    await expect(createSigner({ privateJwk: { ...k.privateJwk, kid: undefined } })).rejects.toMatchObject({ name: 'invalid-argument' });
    expect(() => toJoseSignature(new Uint8Array(70))).toThrow(expect.objectContaining({ name: 'invalid-argument' }));
  });
});
