import { exportJWK, generateKeyPair } from 'jose';
import { RepriseError } from '../errors/RepriseError.js';
import { ID_PATTERN, ID_RULE } from '../manifest/schema.js';

export interface KeyPairJwks {
  kid: string;
  privateJwk: JsonWebKey & { kid: string; alg: 'ES256' };
  publicJwk: JsonWebKey & { kid: string; alg: 'ES256' };
}

/** Refuses a key id outside the manifest's id rule (1–128 of `A-Z a-z 0-9 . _ : -`). */
export function checkKid(kid: string): string {
  if (!ID_PATTERN.test(kid)) {
    throw new RepriseError('invalid-argument', `--kid "${kid}" ${ID_RULE}, e.g. k-2026-11`, { path: 'kid' });
  }
  return kid;
}

/** A fresh ES256 (P-256) key pair as JWKs sharing one `kid` (default `k-YYYY-MM-DD-<random>`). */
export async function generateKeys(kid?: string): Promise<KeyPairJwks> {
  const id = kid === undefined ? `k-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}` : checkKid(kid);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: id, alg: 'ES256' as const, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg: 'ES256' as const, use: 'sig' };
  return { kid: id, privateJwk, publicJwk };
}
