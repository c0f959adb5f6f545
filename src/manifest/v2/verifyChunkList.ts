import { RepriseError } from '../../errors/RepriseError.js';
import { toBase64Url } from '../../util/base64url.js';
import { sha256Base64Url } from '../../util/sha256.js';

/** Bytes of a track's chunk list: 32 per chunk. */
export function chunkListBytes(track: { size: number; chunkSize: number }): number {
  return 32 * Math.ceil(track.size / track.chunkSize);
}

/**
 * A chunk list body (`<indexBase><contentId>`: the raw 32-byte chunk digests concatenated) is
 * used only when its SHA-256 equals the content id — which is how the content id is defined —
 * and it has one digest per chunk of the track. Returns the digests as base64url, as v1 lists
 * them. A body that does not match throws `integrity-mismatch`: never stored, a transient
 * failure of that track's download (docs/how-it-works.md).
 */
export async function verifyChunkList(body: Uint8Array<ArrayBuffer>, track: { id: string; size: number; chunkSize: number; contentId: string }): Promise<string[]> {
  const expected = chunkListBytes(track);
  if (body.byteLength !== expected) {
    throw new RepriseError('integrity-mismatch', `the chunk list of track "${track.id}" is ${body.byteLength} bytes; its size and chunkSize need ${expected}`, {
      trackId: track.id,
      contentId: track.contentId,
    });
  }
  if ((await sha256Base64Url(body)) !== track.contentId) {
    throw new RepriseError('integrity-mismatch', `the chunk list of track "${track.id}" does not match its content id; it is not used and will be fetched again`, {
      trackId: track.id,
      contentId: track.contentId,
    });
  }
  const digests: string[] = new Array(expected / 32);
  for (let i = 0; i < digests.length; i++) digests[i] = toBase64Url(body.subarray(i * 32, i * 32 + 32));
  return digests;
}
