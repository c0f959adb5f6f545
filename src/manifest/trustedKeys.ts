import { importJWK } from 'jose';
import * as z from 'zod/mini';
import { RepriseError } from '../errors/RepriseError.js';
import { p256PointProblem } from './p256PointProblem.js';

/** An ES256 public key as a JWK with its `kid` (RFC 7517 §4.5, RFC 7518 §6.2). */
export const publicJwkSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().check(z.minLength(1)),
  y: z.string().check(z.minLength(1)),
  kid: z.string().check(z.minLength(1)),
  d: z.optional(z.undefined({ error: 'is a private key component; give reprise public keys only (drop "d")' })),
});

export type { PublicJwk } from './types.js';
import type { PublicJwk } from './types.js';
/** What the schema produces (held equal to {@link PublicJwk} by test/unit/manifest/types.test.ts). */
export type ParsedPublicJwk = z.infer<typeof publicJwkSchema>;

export type KeyRing = ReadonlyMap<string, CryptoKey>;

/** Imports the app's trusted keys. Keys come from the app build, never from the network. */
export async function importTrustedKeys(jwks: readonly PublicJwk[]): Promise<KeyRing> {
  const ring = new Map<string, CryptoKey>();
  for (const [i, jwk] of jwks.entries()) {
    if (ring.has(jwk.kid)) {
      throw new RepriseError('invalid-argument', `trustedKeys.${i}.kid: "${jwk.kid}" appears twice`, { path: `trustedKeys.${i}.kid` });
    }
    const problem = p256PointProblem(jwk.x, jwk.y);
    if (problem) throw new RepriseError('invalid-argument', `trustedKeys.${i}: not a usable ES256 public key (${problem})`, { path: `trustedKeys.${i}` });
    try {
      const { kty, crv, x, y } = jwk;
      ring.set(jwk.kid, (await importJWK({ kty, crv, x, y }, 'ES256')) as CryptoKey);
    } catch (cause) {
      throw new RepriseError('invalid-argument', `trustedKeys.${i}: not a usable ES256 public key (${String(cause)})`, { path: `trustedKeys.${i}` }, { cause });
    }
  }
  return ring;
}
