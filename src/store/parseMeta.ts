import * as z from 'zod/mini';
import { type MetaRecord, SCHEMA_VERSION } from './schema.js';

export function emptyMeta(): MetaRecord {
  return { schemaVersion: SCHEMA_VERSION, highestEpoch: 0, revokedKeyIds: [] };
}

/** The meta record as any released schema version wrote it (fields added later are optional). */
const metaSchema = z.looseObject({
  schemaVersion: z.int(),
  migratedFrom: z.optional(z.int()),
  manifestTrusted: z.optional(z.boolean()),
  audit: z.optional(z.object({ id: z.string(), against: z.enum(['accepted', 'stored']), complete: z.boolean() })),
  audits: z.optional(z.int()),
  manifest: z.optional(
    z.object({
      jws: z.string(),
      kid: z.string(),
      epoch: z.int(),
      url: z.string(),
      acceptedAt: z.number(),
      format: z.optional(z.union([z.literal(1), z.literal(2)])),
      etag: z.optional(z.string()),
      /** Format 2: the SHA-256 of the root payload whose signature this device verified, and when (a reload does not verify it again). */
      verified: z.optional(z.object({ payloadSha256: z.string(), at: z.number() })),
    }),
  ),
  highestEpoch: z.int().check(z.minimum(0)),
  revokedKeyIds: z.array(z.string()),
  formatTwoEpoch: z.optional(z.int()),
  versions: z.optional(z.record(z.string(), z.object({ version: z.int(), payloadSha256: z.string() }))),
});

/**
 * Validates a stored meta record (stored data is input too: an older version, or a damaged
 * store). A record that does not parse keeps whatever security state can still be read, so a
 * damaged record never lowers the rollback floor below what it shows.
 */
export function parseMeta(value: unknown): MetaRecord {
  if (value === undefined) return emptyMeta();
  const parsed = metaSchema.safeParse(value);
  if (parsed.success) return parsed.data as MetaRecord;
  const v = value as { highestEpoch?: unknown; revokedKeyIds?: unknown };
  return {
    ...emptyMeta(),
    highestEpoch: typeof v?.highestEpoch === 'number' ? v.highestEpoch : 0,
    revokedKeyIds: Array.isArray(v?.revokedKeyIds) ? v.revokedKeyIds.filter((k): k is string => typeof k === 'string') : [],
  };
}
