import { isErrorCode } from '../errors/codes.js';
import { RepriseError } from '../errors/RepriseError.js';
import type { ServableTrack, TrackSource, Unavailable } from './storeTrackSource.js';
import type { ChunkNewsSource } from './waitForChunk.js';

export interface ChunkListWait {
  source: TrackSource;
  news: ChunkNewsSource | undefined;
  /** Give up after this long (the engine's `stallTimeoutMs`): `network`, status 504. */
  timeoutMs: number;
  /** Look in the store this often. */
  pollMs: number;
  /** The answer is given up (the player cancelled it): rejects `aborted` at once. */
  signal?: AbortSignal;
}

/**
 * Format 2: waits until the chunk list of `trackId` is on the device (the engine was asked for it
 * and fetches it first), looking in the store every `pollMs`. Rejects at once with the engine's
 * code when it says it cannot fetch the track now (`unavailable` news: `not-found`,
 * `unauthorized`, `origin-not-allowed`…; the answer's status follows it), with `network` after
 * `timeoutMs`, or `aborted` when `signal` aborts: no answer waits on a track the engine gave up.
 */
export function waitForChunkList(trackId: string, o: ChunkListWait): Promise<ServableTrack | Unavailable> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: RepriseError | undefined, found?: ServableTrack | Unavailable) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      unsubscribe?.();
      o.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(found!);
    };
    const onAbort = () => finish(new RepriseError('aborted', `the answer waiting for the chunk list of track "${trackId}" was given up`, { trackId }, { hint: null }));
    const timer = setTimeout(() => finish(new RepriseError('network', `the chunk list of track "${trackId}" is not on the device and did not arrive within ${o.timeoutMs} ms (offline, or the origin is unreachable)`, { trackId, status: 504 }, { hint: null })), o.timeoutMs);
    const poll = setInterval(() => {
      o.source.lookup(trackId).then((found) => !('unavailable' in found && found.wanted) && finish(undefined, found), () => {});
    }, o.pollMs);
    const unsubscribe = o.news?.subscribe((news) => {
      if (news.type !== 'unavailable' || news.trackId !== trackId) return;
      const code = isErrorCode(news.code) ? news.code : 'network';
      finish(new RepriseError(code, news.message, { trackId, reason: news.code }, { hint: null }));
    });
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
