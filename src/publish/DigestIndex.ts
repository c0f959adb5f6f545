import { RepriseError } from '../errors/RepriseError.js';
import { DEFAULT_LIMITS } from '../manifest/limits.js';
import { ID_PATTERN, ID_RULE } from '../manifest/schema.js';
import { type ManifestTrackV2, trackV2Schema } from '../manifest/v2/partSchema.js';
import { describeZodError } from '../util/describeZodError.js';
import type { TrackDigest } from './digestFile.js';

/** A media file as the server knows it: its digest and what a manifest lists about it. */
export interface IndexedMedia extends TrackDigest {
  /** Relative to the manifest URL, or absolute. */
  url: string;
  mimeType: string;
  title?: string;
  artist?: string;
  durationSeconds?: number;
}

/**
 * The server's index of digested media, by a key of its choosing (a file path, a catalog id).
 * Each entry is checked once, when added, against the schema devices use; listing it in a
 * user's manifest afterwards costs no hashing and no schema work.
 */
const mediaSchema = trackV2Schema(DEFAULT_LIMITS);

/**
 * On entries made by {@link DigestIndex.track}: their JSON after `"id":…,`, serialized once per
 * media file, so that a part of 10,000 tracks is joined, not stringified field by field.
 * The entries are frozen, so the text cannot go stale; a copy (`{ ...entry }`) drops it.
 */
export const SERIALIZED_REST: unique symbol = Symbol('reprise.serializedRest');

/** A track entry as a part lists it, using the text cached by the index when there is one. */
export function serializeTrack(track: ManifestTrackV2): string {
  const rest = (track as { [SERIALIZED_REST]?: string })[SERIALIZED_REST];
  return rest === undefined ? JSON.stringify(track) : `{"id":${JSON.stringify(track.id)},${rest}}`;
}

export class DigestIndex {
  private readonly media = new Map<string, IndexedMedia>();
  private readonly serialized = new Map<string, string>();

  add(key: string, media: IndexedMedia): void {
    const { chunkList, ...fields } = media;
    const parsed = mediaSchema.safeParse({ ...fields, id: 'x' });
    if (!parsed.success) throw new RepriseError('invalid-argument', `media "${key}": ${describeZodError(parsed.error).message}`, { path: describeZodError(parsed.error).path });
    if (chunkList.byteLength !== 32 * Math.ceil(media.size / media.chunkSize)) {
      throw new RepriseError('invalid-argument', `media "${key}": its chunk list has ${chunkList.byteLength / 32} digests, its size and chunkSize need ${Math.ceil(media.size / media.chunkSize)}`, { path: 'chunkList' });
    }
    this.media.set(key, media);
    this.serialized.delete(key);
  }

  get(key: string): IndexedMedia | undefined {
    return this.media.get(key);
  }

  get size(): number {
    return this.media.size;
  }

  /** The manifest entry of media `key` listed as track `id`. */
  track(id: string, key: string): ManifestTrackV2 {
    const m = this.media.get(key);
    if (!m) throw new RepriseError('invalid-argument', `no media "${key}" in the digest index`, { path: 'key' });
    if (!ID_PATTERN.test(id)) throw new RepriseError('invalid-argument', `track id "${id}" ${ID_RULE}`, { path: 'id' });
    const entry: ManifestTrackV2 = { id, url: m.url, mimeType: m.mimeType, size: m.size, chunkSize: m.chunkSize, contentId: m.contentId };
    if (m.title !== undefined) entry.title = m.title;
    if (m.artist !== undefined) entry.artist = m.artist;
    if (m.durationSeconds !== undefined) entry.durationSeconds = m.durationSeconds;
    let rest = this.serialized.get(key);
    if (rest === undefined) this.serialized.set(key, (rest = JSON.stringify({ ...entry, id: undefined }).slice(1, -1)));
    Object.defineProperty(entry, SERIALIZED_REST, { value: rest, enumerable: false });
    return Object.freeze(entry);
  }

  /** Every chunk list by content id (equal content once): the files under `indexBase`. */
  chunkLists(): Map<string, Uint8Array> {
    return new Map([...this.media.values()].map((m) => [m.contentId, m.chunkList]));
  }
}
