import { base64url, compactVerify, decodeProtectedHeader } from 'jose';
import { RepriseError } from '../errors/RepriseError.js';
import type { ManifestLimits } from './limits.js';
import type { KeyRing } from './trustedKeys.js';
import { utf8ByteLength } from '../util/utf8ByteLength.js';

export interface SignatureContext {
  trustedKeys: KeyRing;
  /** Key ids revoked by the app build and by manifests accepted before. */
  revokedKeyIds: ReadonlySet<string>;
}

export interface VerifiedJws {
  /** The payload, decoded as UTF-8 JSON; nothing of it has been checked beyond the signature. */
  json: unknown;
  /** The payload bytes (format 2 compares their SHA-256 for its `version` rule). */
  payload: Uint8Array<ArrayBuffer>;
  kid: string;
  /** The compact JWS, trimmed. */
  jws: string;
}

/**
 * Security rule 1 for a compact JWS (both formats), in an order where nothing of the payload is
 * looked at before the signature verified: size, header (`alg` ES256 only, a `kid` that is
 * trusted and not revoked), signature, then UTF-8 JSON. `limit` names the size bound and the
 * option that raises it.
 */
export async function verifyJws(jws: string, ctx: SignatureContext, limit: { name: keyof ManifestLimits; bytes: number; what: string }): Promise<VerifiedJws> {
  const size = utf8ByteLength(jws);
  if (size > limit.bytes) {
    throw new RepriseError('manifest-invalid', `${limit.what} is ${size} bytes, over ${limit.name} (${limit.bytes}); raise the option limits.${limit.name} to accept it`, {
      size,
      limit: limit.name,
    });
  }
  const token = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (token.split('.').length !== 3) throw new Error('not three dot-separated parts');
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new RepriseError('manifest-signature', `${limit.what} is not a compact JWS (${(cause as Error).message})`, { reason: 'malformed' }, { cause });
  }
  // RFC 7515 §4.1.1: the verifier decides which algorithms it accepts. Only ES256 is; `none`
  // and HMAC (whose "key" could be the public key itself) are the classic downgrades.
  if (header.alg !== 'ES256') {
    throw new RepriseError('manifest-signature', `${limit.what} is signed with alg "${String(header.alg)}"; only ES256 is accepted`, { reason: 'alg', alg: header.alg });
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') {
    throw new RepriseError('manifest-signature', `the header of ${limit.what} has no "kid"`, { reason: 'no-kid' });
  }
  if (ctx.revokedKeyIds.has(kid)) {
    throw new RepriseError('manifest-signature', `${limit.what} is signed with key "${kid}", which is revoked`, { reason: 'key-revoked', kid });
  }
  const key = ctx.trustedKeys.get(kid);
  if (!key) {
    throw new RepriseError('manifest-signature', `${limit.what} is signed with key "${kid}", which is not among trustedKeys`, { reason: 'unknown-kid', kid });
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key, { algorithms: ['ES256'] }));
  } catch (cause) {
    throw new RepriseError('manifest-signature', `the signature of ${limit.what} does not verify with key "${kid}" (${(cause as Error).message})`, { reason: 'signature', kid }, { cause });
  }
  return { json: decodeJson(payload, limit.what), payload: payload as Uint8Array<ArrayBuffer>, kid, jws: token };
}

/** Strict UTF-8, then JSON; `manifest-invalid` naming `what` otherwise. */
export function decodeJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new RepriseError('manifest-invalid', `${what} is not UTF-8 JSON (${(cause as Error).message})`, {}, { cause });
  }
}

/**
 * A compact JWS decoded without checking its signature: for a stored root this device verified
 * before, whose payload the caller compares with the SHA-256 it recorded then. Its key must still
 * be trusted and not revoked; otherwise (or when it does not decode) `undefined`: verify it in full.
 */
export function decodeWithTrustedKey(jws: string, ctx: SignatureContext): VerifiedJws | undefined {
  const token = jws.trim();
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const kid = decodeProtectedHeader(token).kid;
    if (typeof kid !== 'string' || ctx.revokedKeyIds.has(kid) || !ctx.trustedKeys.has(kid)) return undefined;
    const payload = base64url.decode(parts[1]!) as Uint8Array<ArrayBuffer>;
    return { json: decodeJson(payload, 'the stored manifest'), payload, kid, jws: token };
  } catch {
    return undefined;
  }
}
