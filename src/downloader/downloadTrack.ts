import { abortError, isRepriseError } from '../errors/RepriseError.js';
import type { Clock } from '../util/clock.js';
import { ChunkAssembler } from './ChunkAssembler.js';
import type { ChunkBuffers } from './ChunkBuffers.js';
import { ChunkSink, type VerifiedChunk } from './ChunkSink.js';
import { type Piece, fetchPiece } from './fetchPiece.js';
import { planRanges } from './planRanges.js';
import { transient } from './transient.js';

export { isTransient, transient } from './transient.js';

export interface DownloadRequest {
  trackId: string;
  /** Absolute URL, already checked against the allowed origins. */
  url: string;
  mimeType: string;
  size: number;
  chunkSize: number;
  digests: readonly string[];
  /** Indices of the chunks to fetch, ascending. */
  missing: readonly number[];
}

/** What the caller of a download learns of each of its requests. */
export interface RequestWatch {
  accepted(): void;
  ended(): void;
}

export interface DownloadHooks {
  fetch: typeof fetch;
  clock: Clock;
  signal: AbortSignal;
  /** Abort a request that delivers no body bytes for this long. */
  stallMs: number;
  credentials?: RequestCredentials;
  /**
   * The token bucket: awaited for a request's bytes before it is sent, and for any body bytes
   * beyond what was asked (a 200 to a Range request) as they arrive.
   */
  throttle(bytes: number, signal: AbortSignal): Promise<void>;
  /** Largest request, in bytes, at the moment it is asked (it may cover part of a chunk). Default: no limit. */
  maxRequestBytes?(): number;
  /**
   * Bytes one download may have asked for and not yet received: what an abandoned attempt (a
   * full quota, a pause) costs at the origin at most. Default: two requests of `maxRequestBytes()`.
   */
  maxOpenBytes?(): number;
  /** How long verified chunks may wait to be written together; 0 writes each at once (a track being played). Default 200 ms. */
  batchAgeMs?(): number;
  /**
   * Receives the download's verified chunks not yet written: `hurry()` commits those waiting for a
   * batch at once (the track became urgent), `held(digest)` gives one's bytes (a reader asks for it).
   */
  onSink?(sink: DownloadSink): void;
  /** Each chunk as it verifies, before its write (its bytes valid during the call only). */
  onVerified?(chunk: VerifiedChunk): void;
  /** Verified chunks a failed write (a full quota) did not store: the caller keeps them to write later. */
  onUnstored?(chunks: VerifiedChunk[]): void;
  /**
   * Waits for a request slot (requests open at the origin are bounded); returns its release.
   * `eta`: milliseconds until the request's body should end (undefined until some of it came).
   * Default: no limit.
   */
  slot?(signal: AbortSignal, eta?: () => number | undefined): Promise<() => void>;
  /** Origins a response's final URL (after redirects) may be on. Default: the request URL's origin. */
  allowedOrigins?: ReadonlySet<string>;
  /** The app's hook (bounded): headers to add or a URL to use for each request; on 401/403 asked again once. */
  authorize?: (request: { url: string; kind: 'media'; trackId: string; attempt: number }) => Promise<{ url?: string; headers?: Record<string, string> } | undefined>;
  /**
   * Playback first (docs/playback-url.md): undefined, or a promise to await before a new request
   * for the chunks `digests` while a listener starts a track (a request open is read on: it
   * holds a request slot). Default: none.
   */
  yieldToPlayback?(digests: readonly string[]): Promise<void> | undefined;
  /** True while a playback hold applies to a request for the chunks `digests` (see `yieldToPlayback`). */
  holdsFor?(digests: readonly string[]): boolean;
  /**
   * False once no new request may start (the queue paused for a full quota by another download):
   * the requests open are read to their end and their chunks kept, none is added. Default: true.
   */
  mayRequest?(): boolean;
  /** Makes a verified chunk's stored value as it verifies (the store's `prepareValue`). Default: made by the write. */
  prepareWrite?(bytes: ArrayBuffer): Blob | undefined;
  /** Stores verified chunks, in one transaction. */
  commit(chunks: VerifiedChunk[]): Promise<void>;
  /**
   * Called when a request starts, before `authorize` is asked for it: the returned `accepted` when
   * its answer is accepted (2xx, on an allowed origin), `ended` when it ends (in-flight accounting).
   */
  onRequest?(url: string): RequestWatch;
  /** Body bytes as they arrive (rate and totals). */
  onBody?(bytes: number): void;
  /** Buffers to assemble chunks in, reused across downloads; fresh ones when absent. */
  buffers?: ChunkBuffers;
  /**
   * Called once every request of this attempt has delivered its body and only verifying and
   * committing the last chunks remains: the scheduler can start the next request meanwhile.
   */
  onNetworkDone?(): void;
}

export interface DownloadResult {
  /** Chunks verified and committed by this attempt. */
  committed: number[];
}

interface OpenPiece {
  bytes: number;
  /** Settles once the status is known (or the piece failed). */
  headers: Promise<void>;
  /** Settles when the body was read or the piece failed; never rejects. */
  read: Promise<void>;
}

/**
 * One attempt at a track's missing chunks, in pieces of at most `maxRequestBytes()` bytes, each
 * a `Range` request (a piece may cover part of a chunk: {@link ChunkAssembler}). Several pieces
 * are open at once, so the next is paid for and asked while the current one is read (tokens are
 * not left unused), but the bytes asked and not yet received stay within `maxOpenBytes()`: an
 * abandoned attempt costs at most that much, and verified chunks a full quota refused are handed
 * back ({@link DownloadHooks.onUnstored}) rather than fetched again. The body is cut into the manifest's chunks as
 * it streams, every chunk hashed before it is written. Verified chunks are committed even when
 * the attempt then fails, so the next attempt starts from the first chunk still missing
 * (storage invariant 2). A failure cancels every open request of the attempt.
 *
 * Throws a RepriseError: `transient` ones (details.transient) are for the scheduler to retry.
 */
/** What a download's caller may do with its verified chunks not yet written ({@link DownloadHooks.onSink}). */
export type DownloadSink = Pick<ChunkSink, 'hurry' | 'held'>;

export async function downloadTrack(req: DownloadRequest, hooks: DownloadHooks): Promise<DownloadResult> {
  const sink = new ChunkSink(hooks.commit, hooks.clock, { buffers: hooks.buffers, maxAgeMs: hooks.batchAgeMs, prepare: hooks.prepareWrite, onVerified: hooks.onVerified });
  hooks.onSink?.(sink);
  const chunks = new ChunkAssembler(req.size, req.chunkSize, new Set(req.missing), hooks.buffers);
  // One signal for the attempt's requests: the first failure cancels the others.
  const attempt = new AbortController();
  const stop = () => attempt.abort(hooks.signal.reason);
  if (hooks.signal.aborted) stop();
  else hooks.signal.addEventListener('abort', stop, { once: true });
  const pieceHooks: DownloadHooks = { ...hooks, signal: attempt.signal };
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    attempt.abort(error);
  };
  let ranged = false; // a 206 came back: the origin honours Range, so a second piece may be open
  const open: OpenPiece[] = [];
  const launch = (piece: Piece): OpenPiece => {
    let headersKnown!: () => void;
    const headers = new Promise<void>((resolve) => (headersKnown = resolve));
    const read = fetchPiece(req, pieceHooks, piece, chunks, sink, (status) => {
      if (status === 206) ranged = true;
      headersKnown();
    })
      .catch(fail)
      .finally(headersKnown);
    return { bytes: piece.end - piece.start + 1, headers, read };
  };
  try {
    pieces: for (const run of planRanges(req.missing)) {
      const runEnd = Math.min(req.size, (run.last + 1) * req.chunkSize) - 1;
      for (let start = run.first * req.chunkSize; start <= runEnd; ) {
        for (;;) {
          const next = Math.max(1, hooks.maxRequestBytes?.() ?? Infinity);
          const window = hooks.maxOpenBytes?.() ?? 2 * next;
          if (open.length > 0 && open.reduce((n, p) => n + p.bytes, 0) + Math.min(next, runEnd - start + 1) > window) await open.shift()!.read;
          else if (open.length > 0 && !ranged) {
            // Until the origin shows it honours Range, one request at a time: a 200 is the whole file.
            await open[open.length - 1]!.headers;
            if (!ranged) await open.shift()!.read;
          } else break;
        }
        if (failure || attempt.signal.aborted || hooks.mayRequest?.() === false) break pieces;
        // Sized when it is asked: a cap set meanwhile applies at once.
        const end = Math.min(runEnd, start + Math.max(1, hooks.maxRequestBytes?.() ?? Infinity) - 1);
        const touched = range(Math.floor(start / req.chunkSize), Math.floor(end / req.chunkSize));
        if ([...touched].some((i) => chunks.wanted.has(i))) open.push(launch({ start, end })); // else a 200 already covered it
        start = end + 1;
      }
    }
    await Promise.all(open.map((p) => p.read));
    // After a failure the scheduler must first see it (backoff, Retry-After) before starting more.
    if (!failure && !attempt.signal.aborted) hooks.onNetworkDone?.();
  } finally {
    hooks.signal.removeEventListener('abort', stop);
    chunks.release();
  }
  // Commit what verified, whatever happened (also on abort: a paused download keeps its chunks).
  // A store error (quota-exceeded) outranks the network error that may have come with it; the
  // verified chunks it did not store go back to the caller, to be written later, not fetched again.
  try {
    await sink.finish();
  } catch (storeError) {
    const unstored = await sink.unstoredChunks();
    if (unstored.length > 0) hooks.onUnstored?.(unstored);
    throw storeError;
  }
  if (failure !== undefined || hooks.signal.aborted) throw normalise(failure?.error, hooks.signal, req.trackId);
  if (sink.mismatched.length > 0) {
    const first = sink.mismatched[0]!;
    throw transient('integrity-mismatch', `track "${req.trackId}" chunk ${first}${sink.mismatched.length > 1 ? ` (and ${sink.mismatched.length - 1} more)` : ''} did not match its SHA-256 digest`, {
      trackId: req.trackId,
      chunkIndex: first,
      chunks: sink.mismatched,
    });
  }
  return { committed: sink.committed };
}

function* range(first: number, last: number) {
  for (let i = first; i <= last; i++) yield i;
}

function normalise(error: unknown, signal: AbortSignal, trackId: string): unknown {
  if (signal.aborted) return abortError(signal);
  if (isRepriseError(error)) return error;
  return transient('network', `track "${trackId}": the connection failed (${(error as Error)?.message ?? error})`, { trackId }, error);
}
