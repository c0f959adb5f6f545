import { waitOnEngine } from './waitOnEngine.js';
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
  return waitOnEngine<ServableTrack | Unavailable>({
    trackId,
    what: 'chunk list',
    news: o.news,
    timeoutMs: o.timeoutMs,
    pollMs: o.pollMs,
    signal: o.signal,
    poll: (done) => void o.source.lookup(trackId).then((found) => !('unavailable' in found && found.wanted) && done(found), () => {}),
  }).settled;
}
