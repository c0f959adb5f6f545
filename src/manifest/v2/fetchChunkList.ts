import { RepriseError } from '../../errors/RepriseError.js';
import { readLimitedBody } from './readLimitedBody.js';
import { type DocumentFetchOptions, requestDocument } from './requestDocument.js';
import { chunkListBytes, verifyChunkList } from './verifyChunkList.js';

/**
 * GETs a track's chunk list (`url` from `Catalog.chunkListUrl`), as media for `authorize`, read
 * under its exact length (32 bytes per chunk) and verified by the content id before it is
 * returned as digests. Not matching is `integrity-mismatch`: never stored, a transient failure
 * of that track's download.
 */
export async function fetchChunkList(
  url: string,
  track: { id: string; size: number; chunkSize: number; contentId: string },
  opts: DocumentFetchOptions,
): Promise<{ digests: string[]; body: Uint8Array<ArrayBuffer> }> {
  const what = `the chunk list of track "${track.id}"`;
  const response = await requestDocument({ url, kind: 'media', trackId: track.id, what, cache: 'default' }, opts);
  const expected = chunkListBytes(track);
  const body = await readLimitedBody(
    response,
    {
      maxBytes: expected,
      tooLarge: (read) =>
        new RepriseError('integrity-mismatch', `${what} is longer than the ${expected} bytes its size and chunkSize need (refused after ${read} bytes)`, { trackId: track.id, contentId: track.contentId }),
    },
    what,
  );
  return { digests: await verifyChunkList(body, track), body };
}
