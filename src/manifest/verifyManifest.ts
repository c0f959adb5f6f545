import { RepriseError } from '../errors/RepriseError.js';
import { describeZodError } from '../util/describeZodError.js';
import { type EpochContext, checkSecurityFields } from './checkSecurityFields.js';
import { DEFAULT_LIMITS, type ManifestLimits } from './limits.js';
import { type Manifest, type ManifestTrack, catalogIdSteps, manifestOutlineSchema, manifestSchema, trackV1Schema } from './schema.js';
import { TaskSlicer } from './v2/TaskSlicer.js';
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
export async function verifyManifest(jws: string, ctx: VerifyContext, slicer?: TaskSlicer): Promise<VerifiedManifest> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const signed = await verifyJws(jws, ctx, { name: 'maxManifestBytes', bytes: limits.maxManifestBytes, what: 'the manifest' });
  return acceptManifestV1Sliced(signed, ctx, slicer);
}

/** The format-1 checks on a payload whose signature verified. */
export function acceptManifestV1(signed: VerifiedJws, ctx: VerifyContext): VerifiedManifest {
  const parsed = manifestSchema(ctx.limits ?? DEFAULT_LIMITS).safeParse(signed.json);
  if (!parsed.success) {
    const { message, path } = describeZodError(parsed.error);
    throw new RepriseError('manifest-invalid', `manifest field ${message}`, { path });
  }
  return securityChecks(parsed.data, signed, ctx);
}

/**
 * {@link acceptManifestV1} in slices: the payload's outline, then each track, then the ids,
 * yielding through `slicer` (233,000 digests of 10,000 tracks checked at once were one task of
 * hundreds of ms). The first problem found hands over to {@link acceptManifestV1}, which refuses
 * the manifest with the same message as always.
 */
export async function acceptManifestV1Sliced(signed: VerifiedJws, ctx: VerifyContext, slicer: TaskSlicer = new TaskSlicer()): Promise<VerifiedManifest> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const outline = manifestOutlineSchema().safeParse(signed.json);
  if (!outline.success || outline.data.tracks.length > limits.maxTracks) return acceptManifestV1(signed, ctx);
  await slicer.check();
  const schema = trackV1Schema(limits);
  const tracks: ManifestTrack[] = [];
  for (const [i, raw] of outline.data.tracks.entries()) {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return acceptManifestV1(signed, ctx);
    tracks.push(parsed.data);
    if ((i & 63) === 63) await slicer.check();
  }
  const where = { track: (i: number) => ['tracks', i], playlist: (p: number) => ['playlists', p] };
  for (const step of catalogIdSteps(tracks, outline.data.playlists, where)) {
    if (step !== 'tick') return acceptManifestV1(signed, ctx);
    await slicer.check();
  }
  return securityChecks({ ...outline.data, tracks }, signed, ctx);
}

/** Self-revocation, rollback, expiry, and format 1 after format 2. */
function securityChecks(manifest: Manifest, signed: VerifiedJws, ctx: VerifyContext): VerifiedManifest {
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
