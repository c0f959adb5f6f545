import { createHash } from 'node:crypto';
import { hashFileChunks } from '../cli/hashFile.js';
import { chunkListOf } from '../manifest/contentId.js';

/** What the server keeps per media file: enough to list it in any user's manifest. */
export interface TrackDigest {
  size: number;
  chunkSize: number;
  /** base64url SHA-256 of the chunk list: the track's content id. */
  contentId: string;
  /** The chunk list: raw 32-byte chunk digests concatenated, served at `<indexBase><contentId>`. */
  chunkList: Uint8Array;
}

/** The digest of a track whose chunk digests are known (a v1 manifest's `chunks`). */
export function digestFromChunks(size: number, chunkSize: number, chunks: readonly string[]): TrackDigest {
  const chunkList = chunkListOf(chunks);
  return { size, chunkSize, contentId: createHash('sha256').update(chunkList).digest('base64url'), chunkList };
}

/**
 * Reads a media file once, as a stream, and returns its content id and chunk list: all a
 * server needs to list it in format 2 manifests, for any number of users, without reading it
 * again.
 */
export async function digestFile(path: string, chunkSize: number): Promise<TrackDigest> {
  const { size, chunks } = await hashFileChunks(path, chunkSize);
  return digestFromChunks(size, chunkSize, chunks);
}
