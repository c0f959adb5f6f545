import { RepriseError } from '../errors/RepriseError.js';
import type { ChunkNews } from './PlaybackReport.js';
import { sha256Base64Url } from '../util/sha256.js';
import { waitOnEngine } from './waitOnEngine.js';
import type { ChunkReader } from './readVerified.js';

/** Where a reader hears of chunks being stored (the engine's BroadcastChannel, or a fake in tests). */
export interface ChunkNewsSource {
  subscribe(listener: (news: ChunkNews) => void): () => void;
  /** Posts on the channel (the service worker's reports to the engine); absent in read-only fakes. */
  post?(news: ChunkNews): void;
}

export interface WaitOptions {
  reader: ChunkReader;
  news: ChunkNewsSource | undefined;
  /** Give up after this long without the chunk (docs/how-it-works.md: `stallTimeoutMs`). */
  timeoutMs: number;
  /** Look in the store this often too (news can be missed: no engine yet, another channel). */
  pollMs: number;
  /** Asks the engine for the chunk (a `wanted` report). */
  ask(): void;
  /** The chunk's bytes, already checked against its digest, if they come another way (handed over earlier). */
  handed?: Promise<ArrayBuffer>;
  /** The answer waiting is given up (the player cancelled it): the wait ends at once, rejecting `aborted`. */
  signal?: AbortSignal;
  /**
   * Asked when the engine puts a new manifest in force: true if the track's content changed (a
   * re-publish; the chunk waited for will not come, its old copies are deleted): the wait ends
   * at once, rejecting `not-cached` with `details.replaced`.
   */
  replaced?(): Promise<boolean>;
}

/**
 * Waits until a missing chunk is stored: the engine is asked for it (it fetches it first),
 * then the news channel or a poll of the store says it is there. Resolves with the chunk's bytes
 * when the engine handed them over as they verified and they match `digest` (checked here:
 * a reader serves no byte it did not verify), else with nothing once it is stored. Rejects with
 * the engine's code when it says it cannot fetch the track now, or `network` after `timeoutMs`
 * (offline: no hang).
 */
export function waitForChunk(trackId: string, index: number, digest: string, o: WaitOptions): Promise<ArrayBuffer | undefined> {
  const verifies = async (bytes: ArrayBuffer) => (await sha256Base64Url(bytes)) === digest;
  const wait = waitOnEngine<ArrayBuffer | undefined>({
    trackId,
    what: `chunk ${index}`,
    details: { chunkIndex: index },
    news: o.news,
    timeoutMs: o.timeoutMs,
    pollMs: o.pollMs,
    signal: o.signal,
    // Only bytes that verify count: a held-back copy may still be there until the engine deletes it.
    poll: (done) => void o.reader.getChunks([digest]).then(async ([bytes]) => bytes && (await verifies(bytes)) && done(undefined), () => {}),
    onNews(news, done, fail) {
      if (news.type === 'stored' && news.digests.includes(digest)) done(undefined);
      else if (news.type === 'verified') {
        const handed = news.chunks.find((c) => c.digest === digest);
        // Not hashed again once settled (the same chunk on another line).
        if (handed && !wait.isSettled()) void verifies(handed.bytes).then((ok) => ok && done(handed.bytes), () => {});
      } else if (news.type === 'manifest' && o.replaced) {
        const why = `track "${trackId}" was re-published while it was being served: chunk ${index} of its old content will not come; ask again`;
        o.replaced().then((replaced) => replaced && fail(new RepriseError('not-cached', why, { trackId, chunkIndex: index, replaced: true, status: 503 }, { hint: null })), () => {});
      }
    },
  });
  o.handed?.then((bytes) => wait.done(bytes), () => {});
  if (!wait.isSettled()) o.ask();
  return wait.settled;
}

/** The status a response gets when its first chunk cannot be had (docs/how-it-works.md "Playback URL" table). */
export function statusForUnavailable(error: RepriseError): number {
  switch (error.details.reason ?? error.name) {
    case 'not-found':
    case 'not-cached':
      return 404;
    case 'origin-not-allowed':
      return 403;
    case 'integrity-mismatch':
      return 502;
    case 'unauthorized':
      return 401;
    case 'user':
    case 'quota-exceeded':
    case 'save-data':
      return 503;
    default:
      return 504;
  }
}

/**
 * The engine's news channel, where BroadcastChannel exists: one channel for every reader of this
 * context (opening and closing one per request cost a seek about as much as hashing its chunk).
 */
export function broadcastChunkNews(channelName: string): ChunkNewsSource | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const listeners = new Set<(news: ChunkNews) => void>();
  let channel: BroadcastChannel | undefined;
  const open = () => {
    if (channel) return channel;
    channel = new BroadcastChannel(channelName);
    (channel as { unref?: () => void }).unref?.(); // Node: never keeps a process alive
    channel.onmessage = (e: MessageEvent<ChunkNews>) => {
      for (const listener of [...listeners]) listener(e.data);
    };
    return channel;
  };
  return {
    post(news) {
      try {
        open().postMessage(news);
      } catch {
        // no channel: the pages carry the reports
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      open();
      return () => void listeners.delete(listener);
    },
  };
}
