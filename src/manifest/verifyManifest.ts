import { compactVerify, decodeProtectedHeader } from 'jose';
import { RepriseError } from '../errors/RepriseError.js';
import { describeZodError } from '../util/describeZodError.js';
import { DEFAULT_LIMITS, type ManifestLimits } from './limits.js';
import { type Manifest, manifestSchema } from './schema.js';
import type { KeyRing } from './trustedKeys.js';

export interface VerifyContext {
  trustedKeys: KeyRing;
  /** Key ids revoked by the app build and by manifests accepted before. */
  revokedKeyIds: ReadonlySet<string>;
  /** The highest security epoch accepted so far, or the app's appSecurityEpoch if higher. */
  minEpoch: number;
  /** Milliseconds since the epoch. */
  now: number;
  limits?: ManifestLimits;
}

export interface VerifiedManifest {
  manifest: Manifest;
  /** The `kid` of the key that signed it. */
  kid: string;
  jws: string;
}

const textEncoder = new TextEncoder();

/**
 * Applies the security rules of DESIGN.md to a compact JWS, in an order where nothing of the
 * payload is looked at before the signature verified: size, header (`alg` ES256 only, a `kid`
 * that is trusted and not revoked), signature, then the payload's JSON, schema, self-revocation,
 * rollback and expiry. Throws a RepriseError with the refusal's code.
 */
export async function verifyManifest(jws: string, ctx: VerifyContext): Promise<VerifiedManifest> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const size = textEncoder.encode(jws).byteLength;
  if (size > limits.maxManifestBytes) {
    throw new RepriseError('manifest-invalid', `the manifest is ${size} bytes, over maxManifestBytes (${limits.maxManifestBytes})`, { size });
  }
  const token = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (token.split('.').length !== 3) throw new Error('not three dot-separated parts');
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new RepriseError('manifest-signature', `the manifest is not a compact JWS (${(cause as Error).message})`, { reason: 'malformed' }, { cause });
  }
  // RFC 7515 §4.1.1: the verifier decides which algorithms it accepts. Only ES256 is; `none`
  // and HMAC (whose "key" could be the public key itself) are the classic downgrades.
  if (header.alg !== 'ES256') {
    throw new RepriseError('manifest-signature', `the manifest is signed with alg "${String(header.alg)}"; only ES256 is accepted`, { reason: 'alg', alg: header.alg });
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') {
    throw new RepriseError('manifest-signature', 'the manifest header has no "kid"', { reason: 'no-kid' });
  }
  if (ctx.revokedKeyIds.has(kid)) {
    throw new RepriseError('manifest-signature', `the manifest is signed with key "${kid}", which is revoked`, { reason: 'key-revoked', kid });
  }
  const key = ctx.trustedKeys.get(kid);
  if (!key) {
    throw new RepriseError('manifest-signature', `the manifest is signed with key "${kid}", which is not among trustedKeys`, { reason: 'unknown-kid', kid });
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key, { algorithms: ['ES256'] }));
  } catch (cause) {
    throw new RepriseError('manifest-signature', `the manifest signature does not verify with key "${kid}" (${(cause as Error).message})`, { reason: 'signature', kid }, { cause });
  }

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    throw new RepriseError('manifest-invalid', `the manifest payload is not UTF-8 JSON (${(cause as Error).message})`, {}, { cause });
  }
  const parsed = manifestSchema(limits).safeParse(json);
  if (!parsed.success) {
    const { message, path } = describeZodError(parsed.error);
    throw new RepriseError('manifest-invalid', `manifest field ${message}`, { path });
  }
  const manifest = parsed.data;
  if (manifest.revokedKeyIds?.includes(kid)) {
    throw new RepriseError('manifest-signature', `the manifest revokes its own signing key "${kid}"`, { reason: 'self-revoked', kid, path: 'revokedKeyIds' });
  }
  if (manifest.securityEpoch < ctx.minEpoch) {
    throw new RepriseError(
      'manifest-rollback',
      `manifest securityEpoch ${manifest.securityEpoch} is lower than ${ctx.minEpoch}, the highest already accepted or required by the app`,
      { path: 'securityEpoch', epoch: manifest.securityEpoch, minEpoch: ctx.minEpoch },
    );
  }
  if (manifest.expiresAt !== undefined && Date.parse(manifest.expiresAt) <= ctx.now) {
    throw new RepriseError('manifest-expired', `the manifest expired at ${manifest.expiresAt}`, { path: 'expiresAt', expiresAt: manifest.expiresAt });
  }
  return { manifest, kid, jws: token };
}
