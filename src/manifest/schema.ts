import * as z from 'zod/mini';
import { DEFAULT_LIMITS, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, type ManifestLimits } from './limits.js';

export const MANIFEST_FORMAT = 'reprise-manifest/1';

/**
 * docs/how-it-works.md: ids are 1–128 characters of `A-Z a-z 0-9 . _ : -`, other than `.` and
 * `..`: a track's id is the last segment of its `trackUrl()`, and a URL's path drops those two
 * (as it does `%2E` and `%2E%2E`), so the service worker could never be asked for them.
 */
export const ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._:-]{1,128}$/;
/** What an id must be, for error messages. */
export const ID_RULE = 'must be 1–128 characters of A-Z a-z 0-9 . _ : - (not "." or "..")';
/** An unpadded base64url SHA-256: 32 bytes → 43 characters. */
export const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const idSchema = z.string().check(z.regex(ID_PATTERN, ID_RULE));
export const digestSchema = z.string().check(z.regex(DIGEST_PATTERN, 'must be an unpadded base64url SHA-256 (43 characters)'));
export const timestamp = z.iso.datetime({ offset: true });

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

export const resyncHintsSchema = z.object({
  windowSeconds: z.optional(z.number().check(z.minimum(0), z.maximum(7 * 24 * 3600))),
  maxBytesPerSecond: z.optional(z.number().check(z.positive())),
  maxConcurrent: z.optional(z.int().check(z.minimum(1))),
});

export const playlistSchema = z.object({
  id: idSchema,
  name: z.string(),
  trackIds: z.array(idSchema),
  offline: z.optional(z.boolean()),
  lastPlayedAt: z.optional(timestamp),
});

/** The limits the schemas apply (the byte limits are checked on the documents, not here). */
export type SchemaLimits = Pick<ManifestLimits, 'maxTracks' | 'maxTrackBytes'> & Partial<ManifestLimits>;

/** The fields a track has in both formats: v1 adds `chunks`, v2 adds `contentId`. */
export function trackFields(limits: SchemaLimits) {
  return {
    id: idSchema,
    url: z.string().check(z.minLength(1)),
    mimeType: z.string().check(z.minLength(1)),
    size: z.int().check(z.minimum(1), z.maximum(limits.maxTrackBytes, `must be at most maxTrackBytes (${limits.maxTrackBytes})`)),
    chunkSize: z.int().check(
      z.refine((n: number) => isPowerOfTwo(n) && n >= MIN_CHUNK_SIZE && n <= MAX_CHUNK_SIZE, `must be a power of two from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`),
    ),
    title: z.optional(z.string()),
    artist: z.optional(z.string()),
    durationSeconds: z.optional(z.number().check(z.nonnegative())),
  };
}

function trackSchema(limits: SchemaLimits) {
  return z
    .object({ ...trackFields(limits), chunks: z.array(digestSchema) })
    .check(z.superRefine((track, ctx) => {
      const expected = Math.ceil(track.size / track.chunkSize);
      if (track.chunks.length !== expected) {
        ctx.addIssue({
          code: 'custom',
          path: ['chunks'],
          message: `has ${track.chunks.length} digests but size ${track.size} / chunkSize ${track.chunkSize} needs ${expected}`,
        });
      }
    }));
}

/** One problem with the ids of a catalog: where (a zod-style path) and what. */
export interface CatalogIdIssue {
  path: (string | number)[];
  message: string;
}

type IdPaths = { track: (i: number) => (string | number)[]; playlist: (i: number) => (string | number)[] };

/**
 * docs/how-it-works.md: a track id or a playlist id appears once in a catalog; every `trackIds` entry names
 * a listed track. `where` maps an index in the flat lists to its path (v2: the part it came from).
 * Yields each issue, and `'tick'` every 1,024 steps so that a caller can yield to the event loop.
 */
export function* catalogIdSteps(tracks: readonly { id: string }[], playlists: readonly { id: string; trackIds: readonly string[] }[], where: IdPaths): Generator<CatalogIdIssue | 'tick'> {
  let steps = 0;
  const trackIds = new Set<string>();
  for (const [i, track] of tracks.entries()) {
    if (trackIds.has(track.id)) yield { path: [...where.track(i), 'id'], message: `repeats track id "${track.id}"` };
    trackIds.add(track.id);
    if ((++steps & 1023) === 0) yield 'tick';
  }
  const playlistIds = new Set<string>();
  for (const [p, playlist] of playlists.entries()) {
    if (playlistIds.has(playlist.id)) yield { path: [...where.playlist(p), 'id'], message: `repeats playlist id "${playlist.id}"` };
    playlistIds.add(playlist.id);
    for (const [t, trackId] of playlist.trackIds.entries()) {
      if (!trackIds.has(trackId)) yield { path: [...where.playlist(p), 'trackIds', t], message: `names track "${trackId}", which the manifest does not list` };
      if ((++steps & 1023) === 0) yield 'tick';
    }
  }
}

/** {@link catalogIdSteps} at once: every issue. */
export function checkCatalogIds(tracks: readonly { id: string }[], playlists: readonly { id: string; trackIds: readonly string[] }[], where: IdPaths): CatalogIdIssue[] {
  return [...catalogIdSteps(tracks, playlists, where)].filter((step): step is CatalogIdIssue => step !== 'tick');
}

/** The fields of a `reprise-manifest/1` payload other than its tracks. */
function manifestFields() {
  return {
    format: z.literal(MANIFEST_FORMAT),
    securityEpoch: z.int().check(z.minimum(0)),
    issuedAt: timestamp,
    expiresAt: z.optional(timestamp),
    revokedKeyIds: z.optional(z.array(z.string().check(z.minLength(1)))),
    resync: z.optional(resyncHintsSchema),
    playlists: z.array(playlistSchema),
  };
}

/** The schema of a `reprise-manifest/1` payload, with the given limits. Unknown fields are dropped. */
export function manifestSchema(limits: SchemaLimits = DEFAULT_LIMITS) {
  return z
    .object({
      ...manifestFields(),
      tracks: z.array(trackSchema(limits)).check(z.maxLength(limits.maxTracks, `must list at most maxTracks (${limits.maxTracks})`)),
    })
    .check(z.superRefine((manifest, ctx) => {
      const where = { track: (i: number) => ['tracks', i], playlist: (p: number) => ['playlists', p] };
      for (const issue of checkCatalogIds(manifest.tracks, manifest.playlists, where)) ctx.addIssue({ code: 'custom', ...issue });
    }));
}

/**
 * {@link manifestSchema} in pieces, so that a caller can check a large manifest's tracks one by
 * one between yields: the payload with its tracks unchecked, and the schema of one track.
 */
export function manifestOutlineSchema() {
  return z.object({ ...manifestFields(), tracks: z.array(z.unknown()) });
}
export { trackSchema as trackV1Schema };

export type { Manifest, ManifestPlaylist, ManifestTrack, ResyncHints } from './types.js';
/** What the schemas produce (test/unit/manifest/types.test.ts holds these equal to the interfaces in types.ts). */
export type ParsedManifest = z.infer<ReturnType<typeof manifestSchema>>;
export type ParsedPlaylist = z.infer<typeof playlistSchema>;
export type ParsedResyncHints = z.infer<typeof resyncHintsSchema>;
