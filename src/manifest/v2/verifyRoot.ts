import { RepriseError } from '../../errors/RepriseError.js';
import { sha256Base64Url } from '../../util/sha256.js';
import { describeZodError } from '../../util/describeZodError.js';
import { checkSecurityFields } from '../checkSecurityFields.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { VerifyContext } from '../verifyManifest.js';
import { type VerifiedJws, verifyJws } from '../verifyJws.js';
import { type ManifestRoot, rootSchema } from './rootSchema.js';

/** What the device remembers of the last root accepted for a manifest URL and subject. */
export interface VersionRecord {
  version: number;
  /** base64url SHA-256 of that root's payload. */
  payloadSha256: string;
}

export interface RootVerifyContext extends VerifyContext {
  /**
   * The last accepted root's version for this manifest URL and `subject` (undefined: none, or
   * forgotten by `clear()`). Called once the signature verified, with the root's `subject`.
   */
  lastVersion?: (subject: string | undefined) => VersionRecord | undefined;
}

export interface VerifiedRoot {
  root: ManifestRoot;
  kid: string;
  jws: string;
  payloadSha256: string;
}

/** Verifies a `reprise-manifest/2` root: signature, schema, security rules, `version` rules. */
export async function verifyRoot(jws: string, ctx: RootVerifyContext): Promise<VerifiedRoot> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  return acceptRoot(await verifyJws(jws, ctx, { name: 'maxRootBytes', bytes: limits.maxRootBytes, what: 'the manifest root' }), ctx);
}

/** The format-2 checks on a payload whose signature verified. */
export async function acceptRoot(signed: VerifiedJws, ctx: RootVerifyContext): Promise<VerifiedRoot> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const size = new TextEncoder().encode(signed.jws).byteLength;
  if (size > limits.maxRootBytes) {
    throw new RepriseError('manifest-invalid', `the manifest root is ${size} bytes, over maxRootBytes (${limits.maxRootBytes}); raise the option limits.maxRootBytes to accept it`, {
      size,
      limit: 'maxRootBytes',
    });
  }
  const parsed = rootSchema(limits).safeParse(signed.json);
  if (!parsed.success) {
    const { message, path } = describeZodError(parsed.error);
    throw new RepriseError('manifest-invalid', `manifest root field ${message}`, { path });
  }
  const root = parsed.data;
  checkSecurityFields(root, signed.kid, ctx);
  const payloadSha256 = await sha256Base64Url(signed.payload);
  const last = ctx.lastVersion?.(root.subject);
  if (last && root.version < last.version) {
    throw new RepriseError('manifest-rollback', `manifest root version ${root.version} is lower than ${last.version}, the last accepted${root.subject ? ` for "${root.subject}"` : ''}`, {
      path: 'version',
      version: root.version,
      lastVersion: last.version,
    });
  }
  if (last && root.version === last.version && payloadSha256 !== last.payloadSha256) {
    throw new RepriseError('manifest-rollback', `manifest root version ${root.version} was accepted before with a different payload; a server issues one root per version`, {
      path: 'version',
      version: root.version,
    });
  }
  return { root, kid: signed.kid, jws: signed.jws, payloadSha256 };
}
