import { exportJWK, generateKeyPair } from 'jose';

export interface KeyPairJwks {
  kid: string;
  privateJwk: JsonWebKey & { kid: string; alg: 'ES256' };
  publicJwk: JsonWebKey & { kid: string; alg: 'ES256' };
}

/** A fresh ES256 (P-256) key pair as JWKs sharing one `kid` (default `k-YYYY-MM-DD-<random>`). */
export async function generateKeys(kid?: string): Promise<KeyPairJwks> {
  const id = kid ?? `k-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: id, alg: 'ES256' as const, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg: 'ES256' as const, use: 'sig' };
  return { kid: id, privateJwk, publicJwk };
}
