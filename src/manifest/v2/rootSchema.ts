import * as z from 'zod/mini';
import { DEFAULT_LIMITS, type ManifestLimits } from '../limits.js';
import { digestSchema, resyncHintsSchema, timestamp } from '../schema.js';

export const MANIFEST_FORMAT_2 = 'reprise-manifest/2';

/** One part as the root pins it: where, its SHA-256 and its length. */
export function partRefSchema(limits: Pick<ManifestLimits, 'maxPartBytes'> = DEFAULT_LIMITS) {
  return z.object({
    url: z.string().check(z.minLength(1)),
    sha256: digestSchema,
    bytes: z.int().check(
      z.minimum(1),
      z.maximum(limits.maxPartBytes, `must be at most maxPartBytes (${limits.maxPartBytes}); raise the option limits.maxPartBytes, or shard the catalog into more parts`),
    ),
  });
}

/** The payload of a `reprise-manifest/2` root (docs/how-it-works.md). Unknown fields are dropped. */
export function rootSchema(limits: Pick<ManifestLimits, 'maxPartBytes'> = DEFAULT_LIMITS) {
  return z.object({
    format: z.literal(MANIFEST_FORMAT_2),
    securityEpoch: z.int().check(z.minimum(0)),
    version: z.int().check(z.minimum(1)),
    subject: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    issuedAt: timestamp,
    expiresAt: z.optional(timestamp),
    revokedKeyIds: z.optional(z.array(z.string().check(z.minLength(1)))),
    resync: z.optional(resyncHintsSchema),
    indexBase: z.string().check(z.minLength(1)),
    parts: z.array(partRefSchema(limits)),
  });
}

export type ManifestRoot = z.infer<ReturnType<typeof rootSchema>>;
export type PartRef = ManifestRoot['parts'][number];
