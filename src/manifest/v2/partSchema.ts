import * as z from 'zod/mini';
import { DEFAULT_LIMITS } from '../limits.js';
import { type SchemaLimits, digestSchema, playlistSchema, trackFields } from '../schema.js';

/** A format-2 track: v1's entry with `contentId` instead of `chunks`. */
export function trackV2Schema(limits: SchemaLimits = DEFAULT_LIMITS) {
  return z.object({ ...trackFields(limits), contentId: digestSchema });
}

/** A format-2 part: `{ tracks, playlists }`. Ids across parts are checked by the caller. */
export function partSchema(limits: SchemaLimits = DEFAULT_LIMITS) {
  return z.object({ tracks: z.array(trackV2Schema(limits)), playlists: z.array(playlistSchema) });
}

export type ManifestPart = z.infer<ReturnType<typeof partSchema>>;
export type ManifestTrackV2 = ManifestPart['tracks'][number];
