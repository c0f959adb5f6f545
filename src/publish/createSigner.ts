import { CompactSign, importJWK } from 'jose';
import { RepriseError } from '../errors/RepriseError.js';
import { toBase64Url } from '../util/base64url.js';
import { toJoseSignature } from './ecdsaSignature.js';

/** Signs the JWS signing input (ASCII `header.payload`) with ES256; a KMS or HSM call. */
export type SignFunction = (signingInput: Uint8Array) => Promise<Uint8Array>;

export type SignerSpec =
  /** An ES256 private JWK with its `kid` (from `reprise keys generate`). */
  | { privateJwk: JsonWebKey & { kid?: string } }
  /** A key held elsewhere: its `kid` and a function that signs (R||S or DER signatures). */
  | { kid: string; sign: SignFunction };

export interface RootSigner {
  kid: string;
  /** A compact JWS of `payload` with `alg` ES256, `kid` and `typ`. */
  sign(payload: Uint8Array, typ: string): Promise<string>;
}

const encoder = new TextEncoder();

/** Imports the key once; the signer it returns is used for every root. */
export async function createSigner(spec: SignerSpec): Promise<RootSigner> {
  if ('sign' in spec) {
    if (!spec.kid) throw new RepriseError('invalid-argument', 'a signer function needs the "kid" of its key', { path: 'kid' });
    return {
      kid: spec.kid,
      async sign(payload, typ) {
        const input = `${toBase64Url(encoder.encode(JSON.stringify({ alg: 'ES256', kid: spec.kid, typ })))}.${toBase64Url(payload)}`;
        return `${input}.${toBase64Url(toJoseSignature(await spec.sign(encoder.encode(input))))}`;
      },
    };
  }
  const { privateJwk } = spec;
  const kid = privateJwk.kid;
  if (!kid) throw new RepriseError('invalid-argument', 'the signing key has no "kid"; create keys with `reprise keys generate`', { path: 'key' });
  if (!privateJwk.d) throw new RepriseError('invalid-argument', `key "${kid}" is a public key; signing needs the private JWK`, { path: 'key' });
  let key: CryptoKey;
  try {
    key = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
  } catch (cause) {
    throw new RepriseError('invalid-argument', `key "${kid}" is not an ES256 (P-256) private JWK (${(cause as Error).message})`, { path: 'key' }, { cause });
  }
  return { kid, sign: (payload, typ) => new CompactSign(payload).setProtectedHeader({ alg: 'ES256', kid, typ }).sign(key) };
}
