import { DEFAULT_LIMITS } from '../limits.js';
import { type VerifiedManifest, acceptManifestV1 } from '../verifyManifest.js';
import { verifyJws } from '../verifyJws.js';
import { MANIFEST_FORMAT_2 } from './rootSchema.js';
import { type RootVerifyContext, type VerifiedRoot, acceptRoot } from './verifyRoot.js';

export type VerifiedDocument = ({ format: 1 } & VerifiedManifest) | ({ format: 2 } & VerifiedRoot);

/**
 * Verifies what the manifest URL served, whichever format: the signature once, then the checks
 * of the payload's `format` (a payload of neither format is checked, and refused, as format 1,
 * whose messages name the expected literal).
 */
export async function verifyManifestDocument(jws: string, ctx: RootVerifyContext): Promise<VerifiedDocument> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const bytes = Math.max(limits.maxManifestBytes, limits.maxRootBytes);
  const name = limits.maxManifestBytes >= limits.maxRootBytes ? 'maxManifestBytes' : 'maxRootBytes';
  const signed = await verifyJws(jws, ctx, { name, bytes, what: 'the manifest' });
  const format = (signed.json as { format?: unknown } | null)?.format;
  if (format === MANIFEST_FORMAT_2) return { format: 2, ...(await acceptRoot(signed, ctx)) };
  return { format: 1, ...acceptManifestV1(signed, ctx) };
}
