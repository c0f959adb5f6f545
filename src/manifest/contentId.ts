import { fromBase64Url, toBase64Url } from '../util/base64url.js';
import { sha256 } from '../util/sha256.js';

/**
 * DESIGN.md: the content id of a track is base64url(SHA-256(concatenation of its raw chunk
 * digests)). Two tracks with the same bytes cut the same way share a content id.
 */
export async function contentIdOf(chunkDigests: readonly string[]): Promise<string> {
  const raw = new Uint8Array(chunkDigests.length * 32);
  chunkDigests.forEach((digest, i) => raw.set(fromBase64Url(digest), i * 32));
  return toBase64Url(await sha256(raw));
}
