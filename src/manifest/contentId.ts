import { decodeBase64UrlInto, toBase64Url } from '../util/base64url.js';
import { sha256 } from '../util/sha256.js';

/** A track's chunk list as format 2 serves it: the raw 32-byte chunk digests concatenated. */
export function chunkListOf(chunkDigests: readonly string[]): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(chunkDigests.length * 32);
  for (let i = 0; i < chunkDigests.length; i++) decodeBase64UrlInto(chunkDigests[i]!, raw, i * 32);
  return raw;
}

/**
 * docs/how-it-works.md: the content id of a track is base64url(SHA-256(concatenation of its raw chunk
 * digests)) — the SHA-256 of its chunk list. Two tracks with the same bytes cut the same way
 * share a content id.
 */
export async function contentIdOf(chunkDigests: readonly string[]): Promise<string> {
  return toBase64Url(await sha256(chunkListOf(chunkDigests)));
}
