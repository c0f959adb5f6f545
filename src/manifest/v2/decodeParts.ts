import * as z from 'zod/mini';
import { RepriseError } from '../../errors/RepriseError.js';
import { describeZodError } from '../../util/describeZodError.js';
import { sha256Base64Url } from '../../util/sha256.js';
import { DEFAULT_LIMITS, type ManifestLimits } from '../limits.js';
import { type ManifestPlaylist, catalogIdSteps, playlistSchema } from '../schema.js';
import { decodeJson } from '../verifyJws.js';
import { type ManifestTrackV2, trackV2Schema } from './partSchema.js';
import type { ResolvedPart } from './resolveRootUrls.js';
import { TaskSlicer } from './TaskSlicer.js';

export interface DecodedCatalog {
  tracks: ManifestTrackV2[];
  playlists: ManifestPlaylist[];
}

const partShape = z.object({ tracks: z.array(z.unknown()), playlists: z.array(z.unknown()) });

/** Throws `manifest-invalid` unless `body` is the part the root pins: its length and SHA-256. */
export async function checkPinnedPart(part: Pick<ResolvedPart, 'index' | 'sha256' | 'bytes'>, body: Uint8Array<ArrayBuffer>): Promise<void> {
  const path = `parts.${part.index}`;
  if (body.byteLength !== part.bytes) {
    throw new RepriseError('manifest-invalid', `manifest part ${part.index} is ${body.byteLength} bytes, but the root pins ${part.bytes}`, { path });
  }
  if ((await sha256Base64Url(body)) !== part.sha256) {
    throw new RepriseError('manifest-invalid', `manifest part ${part.index} does not match the SHA-256 its root pins; it was altered or belongs to another root`, { path });
  }
}

/**
 * The catalog of a root, from the bodies of all its parts (held or just fetched): each part is
 * used only after its length and SHA-256 match the root, then decoded entry by entry with the
 * same schemas as v1's fields, yielding through `slicer` so that no task runs long. A track or
 * playlist id in two parts, a `trackIds` entry naming no track, or more than `maxTracks` tracks
 * refuses the root (`manifest-invalid`).
 */
export async function decodeParts(
  parts: readonly ResolvedPart[],
  bodies: ReadonlyMap<string, Uint8Array<ArrayBuffer>>,
  options: { limits?: ManifestLimits; slicer?: TaskSlicer } = {},
): Promise<DecodedCatalog> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const slicer = options.slicer ?? new TaskSlicer();
  const trackSchema = trackV2Schema(limits);
  const tracks: ManifestTrackV2[] = [];
  const playlists: ManifestPlaylist[] = [];
  const trackPath: (string | number)[][] = [];
  const playlistPath: (string | number)[][] = [];
  const fail = (path: (string | number)[], message: string): never => {
    throw new RepriseError('manifest-invalid', `manifest ${path.join('.')}: ${message}`, { path: path.join('.') });
  };
  for (const part of parts) {
    const body = bodies.get(part.sha256);
    if (!body) throw new RepriseError('manifest-invalid', `manifest part ${part.index} (${part.href}) was not given to decode`, { path: `parts.${part.index}` });
    await checkPinnedPart(part, body);
    const shape = partShape.safeParse(decodeJson(body, `manifest part ${part.index}`));
    if (!shape.success) fail(['parts', part.index], describeZodError(shape.error).message);
    const { tracks: rawTracks, playlists: rawPlaylists } = shape.data!;
    if (tracks.length + rawTracks.length > limits.maxTracks) {
      fail(['parts', part.index, 'tracks'], `the parts list more than maxTracks (${limits.maxTracks}) tracks; raise the option limits.maxTracks to accept them`);
    }
    for (const [i, raw] of rawTracks.entries()) {
      const parsed = trackSchema.safeParse(raw);
      if (!parsed.success) fail(['parts', part.index, 'tracks', i], describeZodError(parsed.error).message);
      tracks.push(parsed.data!);
      trackPath.push(['parts', part.index, 'tracks', i]);
      if ((i & 63) === 63) await slicer.check();
    }
    for (const [i, raw] of rawPlaylists.entries()) {
      const parsed = playlistSchema.safeParse(raw);
      if (!parsed.success) fail(['parts', part.index, 'playlists', i], describeZodError(parsed.error).message);
      playlists.push(parsed.data!);
      playlistPath.push(['parts', part.index, 'playlists', i]);
    }
    await slicer.check();
  }
  for (const step of catalogIdSteps(tracks, playlists, { track: (i) => trackPath[i]!, playlist: (p) => playlistPath[p]! })) {
    if (step === 'tick') await slicer.check();
    else fail(step.path, step.message);
  }
  return { tracks, playlists };
}
