import { RepriseError } from '../../errors/RepriseError.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { utf8ByteLength } from '../../util/utf8ByteLength.js';
import { type VerifiedManifest, acceptManifestV1Sliced } from '../verifyManifest.js';
import type { TaskSlicer } from './TaskSlicer.js';
import { verifyJws } from '../verifyJws.js';
import { MANIFEST_FORMAT_2 } from './rootSchema.js';
import { type RootVerifyContext, type VerifiedRoot, acceptRoot } from './verifyRoot.js';

export type VerifiedDocument = ({ format: 1 } & VerifiedManifest) | ({ format: 2 } & VerifiedRoot);

/**
 * Verifies what the manifest URL served, whichever format: the signature once, then the checks
 * of the payload's `format` (a payload of neither format is checked, and refused, as format 1,
 * whose messages name the expected literal).
 */
export async function verifyManifestDocument(jws: string, ctx: RootVerifyContext, slicer?: TaskSlicer): Promise<VerifiedDocument> {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const bytes = Math.max(limits.maxManifestBytes, limits.maxRootBytes);
  const name = limits.maxManifestBytes >= limits.maxRootBytes ? 'maxManifestBytes' : 'maxRootBytes';
  const signed = await verifyJws(jws, ctx, { name, bytes, what: 'the manifest' });
  // Each format has its own limit; the larger one bounded what was read before the format was known.
  const size = utf8ByteLength(jws);
  const format = (signed.json as { format?: unknown } | null)?.format;
  if (format === MANIFEST_FORMAT_2) {
    if (size > limits.maxRootBytes) throw tooLarge('the manifest root', size, 'maxRootBytes', limits.maxRootBytes);
    return { format: 2, ...(await acceptRoot(signed, ctx)) };
  }
  if (size > limits.maxManifestBytes) throw tooLarge('the manifest', size, 'maxManifestBytes', limits.maxManifestBytes);
  return { format: 1, ...(await acceptManifestV1Sliced(signed, ctx, slicer)) };
}

function tooLarge(what: string, size: number, name: string, max: number): RepriseError {
  return new RepriseError('manifest-invalid', `${what} is ${size} bytes, over ${name} (${max}); raise the option limits.${name} to accept it`, { size });
}
