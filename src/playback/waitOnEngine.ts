import { isErrorCode } from '../errors/codes.js';
import { type ErrorDetails, RepriseError } from '../errors/RepriseError.js';
import type { ChunkNews } from './PlaybackReport.js';
import type { ChunkNewsSource } from './waitForChunk.js';

export interface EngineWait<T> {
  trackId: string;
  /** Named in the errors: "chunk 3", "the chunk list". */
  what: string;
  /** In every error's details (`chunkIndex`…), beside `trackId`. */
  details?: ErrorDetails;
  news: ChunkNewsSource | undefined;
  /** Give up after this long: `network`, status 504 (offline: no hang). */
  timeoutMs: number;
  /** Look in the store this often too (news can be missed: no engine yet, another channel). */
  pollMs: number;
  /** One look in the store: calls `done` when what is waited for is there. */
  poll(done: (value: T) => void): void;
  /** Other news than the engine's `unavailable` for this track, which ends the wait with its code. */
  onNews?(news: ChunkNews, done: (value: T) => void, fail: (error: RepriseError) => void): void;
  /** The answer waiting is given up (the player cancelled it): rejects `aborted` at once. */
  signal?: AbortSignal;
}

/**
 * The one way a service-worker answer waits for the engine (a missing chunk, a chunk list): it
 * settles once — with what the store or the news brings, with the engine's code when it says it
 * cannot fetch the track now, `network` after `timeoutMs`, or `aborted` when `signal` aborts —
 * and then leaves no timer, poll, listener or subscription behind.
 */
export function waitOnEngine<T>(o: EngineWait<T>): { settled: Promise<T>; done: (value: T) => void; isSettled: () => boolean } {
  const { trackId, what } = o;
  const details = { trackId, ...o.details };
  let settled = false;
  let done!: (value: T) => void;
  let fail!: (error: RepriseError) => void;
  const promise = new Promise<T>((resolve, reject) => {
    const end = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      unsubscribe?.();
      o.signal?.removeEventListener('abort', onAbort);
      return true;
    };
    done = (value) => end() && resolve(value);
    fail = (error) => end() && reject(error);
    const onAbort = () => fail(new RepriseError('aborted', `the answer waiting for track "${trackId}" ${what} was given up`, details, { hint: null }));
    const timer = setTimeout(() => fail(new RepriseError('network', `track "${trackId}" ${what} is not on the device and did not arrive within ${o.timeoutMs} ms (offline, or the origin is unreachable)`, { ...details, status: 504 })), o.timeoutMs);
    const poll = setInterval(() => o.poll(done), o.pollMs);
    const unsubscribe = o.news?.subscribe((news) => {
      if (news.type === 'unavailable' && news.trackId === trackId) {
        fail(new RepriseError(isErrorCode(news.code) ? news.code : 'network', news.message, { ...details, reason: news.code }, { hint: null }));
      } else o.onNews?.(news, done, fail);
    });
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { settled: promise, done, isSettled: () => settled };
}
