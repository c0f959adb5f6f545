import { RepriseError } from '../errors/RepriseError.js';
import { describeZodError } from '../util/describeZodError.js';
import { type EpochContext, checkSecurityFields } from './checkSecurityFields.js';
import { DEFAULT_LIMITS, type ManifestLimits } from './limits.js';
import { type Manifest, manifestSchema } from './schema.js';
import { type SignatureContext, type VerifiedJws, verifyJws } from './verifyJws.js';

export interface VerifyContext extends SignatureContext, EpochContext {
  limits?: ManifestLimits;
  /**
   * The highest `securityEpoch` in which a `reprise-manifest/2` root was accepted. A v1 manifest
   * in that epoch or a lower one is a rollback (docs/how-it-works.md: "a v1 manifest after a v2 one in the
   * same securityEpoch is a rollback").
   */
  formatTwoEpoch?: number;
}

export interface VerifiedManifest {
  manifest: Manifest;
  /** The `kid` of the key that signed it. */
  kid: string;
  jws: string;
}

/**
 * Applies the security rules of docs/how-it-works.md to a `reprise-manifest/1` compact JWS: signature
 * first ({@link verifyJws}), then the payload's schema, self-revocation, rollback and expiry.
 * Throws a RepriseError with the refusal's code.
 */
export async function verifyManifest(jws: string, ctx: VerifyContext): Promise<VerifiedManifest> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const signed = await verifyJws(jws, ctx, { name: 'maxManifestBytes', bytes: limits.maxManifestBytes, what: 'the manifest' });
  return acceptManifestV1(signed, ctx);
}

/** The format-1 checks on a payload whose signature verified. */
export function acceptManifestV1(signed: VerifiedJws, ctx: VerifyContext): VerifiedManifest {
  const parsed = manifestSchema(ctx.limits ?? DEFAULT_LIMITS).safeParse(signed.json);
  if (!parsed.success) {
    const { message, path } = describeZodError(parsed.error);
    throw new RepriseError('manifest-invalid', `manifest field ${message}`, { path });
  }
  const manifest = parsed.data;
  checkSecurityFields(manifest, signed.kid, ctx);
  if (ctx.formatTwoEpoch !== undefined && manifest.securityEpoch <= ctx.formatTwoEpoch) {
    throw new RepriseError(
      'manifest-rollback',
      `a reprise-manifest/1 in securityEpoch ${manifest.securityEpoch} after a reprise-manifest/2 root accepted in epoch ${ctx.formatTwoEpoch} is a rollback; publish format 2, or raise the epoch`,
      { path: 'format', epoch: manifest.securityEpoch, formatTwoEpoch: ctx.formatTwoEpoch },
    );
  }
  return { manifest, kid: signed.kid, jws: signed.jws };
}
