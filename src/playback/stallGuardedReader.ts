import { RepriseError } from '../errors/RepriseError.js';
import { settledWithin } from '../util/settledWithin.js';
import type { ChunkReader } from './readVerified.js';

/** A read of stored chunks that has not settled after this long is asked again (they take milliseconds). */
export const READ_RETRY_MS = 2_000;
/** How long the read asked again (or the first, whichever answers) may take before the answer fails. */
export const READ_GIVE_UP_MS = 10_000;

/**
 * The service worker's reads of stored chunks, never hanging an answer (DESIGN.md: nothing hangs):
 * a read that has not settled after {@link READ_RETRY_MS} is made again in a fresh transaction —
 * the first of the two to answer is used — and `storage-failed` is thrown when neither answered
 * {@link READ_GIVE_UP_MS} later, which the media element reports as an error rather than waiting
 * for ever. (A browser's read of a stored Blob that never settled was seen in Chromium: see
 * composeVerified.)
 */
export function stallGuardedReader(reader: ChunkReader, retryMs = READ_RETRY_MS, giveUpMs = READ_GIVE_UP_MS): ChunkReader {
  return {
    async getChunks(digests) {
      const first = reader.getChunks(digests);
      const answered = await settledWithin(first.then((chunks) => ({ chunks })), retryMs);
      if (answered) return answered.chunks;
      const either = await settledWithin(Promise.race([first, reader.getChunks(digests)]).then((chunks) => ({ chunks })), giveUpMs);
      if (either) return either.chunks;
      first.catch(() => {}); // settles some day, or never: nobody waits for it now
      throw new RepriseError('storage-failed', `the browser did not return ${digests.length} stored chunk(s) within ${(retryMs + giveUpMs) / 1000} s, read twice`, { digests: digests.length }, { hint: 'play the track again; if it keeps failing, reload the app.' });
    },
  };
}
