import { abortError, isRepriseError } from '../errors/RepriseError.js';
import type { Clock } from '../util/clock.js';
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
  /** Largest request, in bytes (at least one chunk is always asked): what the bucket pays for at once. Default: no limit. */
  maxRequestBytes?(): number;
  /** Waits for a request slot (requests open at the origin are bounded); returns its release. Default: no limit. */
  slot?(signal: AbortSignal): Promise<() => void>;
  /** Origins a response's final URL (after redirects) may be on. Default: the request URL's origin. */
  allowedOrigins?: ReadonlySet<string>;
  /** Stores verified chunks, in one transaction. */
  commit(chunks: VerifiedChunk[]): Promise<void>;
  /** Called when a request starts; the returned function when it ends (in-flight accounting). */
  onRequest?(url: string): () => void;
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

/** Requests a download keeps open or uncommitted at once, when the origin honours `Range`. */
export const PIPELINE_DEPTH = 2;

interface OpenPiece {
  /** Settles once the status is known (or the piece failed). */
  headers: Promise<void>;
  /** Settles when the body was read (or the piece failed). */
  read: Promise<void>;
  /** Settles when its chunks are committed (or the attempt failed); never rejects. */
  settled: Promise<void>;
}

/**
 * One attempt at a track's missing chunks, in pieces of at most `maxRequestBytes()` (at least
 * one chunk), each a `Range` request. Two pieces are open at once, so the next is paid for and
 * asked while the current one is read (tokens are not left unused), and a piece is asked only
 * once the piece two before it is committed: when a write fails (a full quota) at most the
 * pieces in this window were fetched for nothing. The body is cut into the manifest's chunks as
 * it streams, every chunk hashed before it is written. Verified chunks are committed even when
 * the attempt then fails, so the next attempt starts from the first chunk still missing
 * (storage invariant 2). A failure cancels every open request of the attempt.
 *
 * Throws a RepriseError: `transient` ones (details.transient) are for the scheduler to retry.
 */
export async function downloadTrack(req: DownloadRequest, hooks: DownloadHooks): Promise<DownloadResult> {
  const sink = new ChunkSink(hooks.commit, hooks.clock, hooks.buffers);
  const wanted = new Set(req.missing);
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
    const read = fetchPiece(req, pieceHooks, piece, wanted, sink, (status) => {
      if (status === 206) ranged = true;
      headersKnown();
    }).finally(headersKnown);
    const settled = read.then(() => sink.finish()).catch(fail);
    read.catch(() => {});
    return { headers, read, settled };
  };
  try {
    pieces: for (const run of planRanges(req.missing)) {
      for (let first = run.first; first <= run.last; ) {
        for (;;) {
          if (open.length >= PIPELINE_DEPTH) await open.shift()!.settled;
          else if (open.length > 0 && !ranged) {
            // Until the origin shows it honours Range, one request at a time: a 200 is the whole file.
            await open[open.length - 1]!.headers;
            if (!ranged) await open.shift()!.settled;
          } else break;
        }
        if (failure || attempt.signal.aborted) break pieces;
        // Sized when it is asked: a cap set meanwhile applies at once.
        const last = lastChunkOfRequest(req, first, run.last, hooks.maxRequestBytes?.() ?? Infinity);
        if ([...range(first, last)].some((i) => wanted.has(i))) open.push(launch({ first, last })); // else a 200 already covered it
        first = last + 1;
      }
    }
    await Promise.all(open.map((p) => p.read.catch(() => {})));
    // After a failure the scheduler must first see it (backoff, Retry-After) before starting more.
    if (!failure && !attempt.signal.aborted) hooks.onNetworkDone?.();
    await Promise.all(open.map((p) => p.settled));
  } finally {
    hooks.signal.removeEventListener('abort', stop);
  }
  // Commit what verified, whatever happened (also on abort: a paused download keeps its chunks).
  // A store error (quota-exceeded) outranks the network error that may have come with it.
  await sink.finish();
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

/**
 * The last chunk of a request that starts at chunk `first`: as many chunks of the run as fit
 * in `maxBytes`, and at least one (DESIGN.md: the origin sends at most one chunk beyond the cap).
 */
export function lastChunkOfRequest(req: Pick<DownloadRequest, 'size' | 'chunkSize'>, first: number, runLast: number, maxBytes: number): number {
  if (!Number.isFinite(maxBytes)) return runLast;
  let last = first;
  while (last < runLast && Math.min(req.size, (last + 2) * req.chunkSize) - first * req.chunkSize <= maxBytes) last++;
  return last;
}

function* range(first: number, last: number) {
  for (let i = first; i <= last; i++) yield i;
}

function normalise(error: unknown, signal: AbortSignal, trackId: string): unknown {
  if (signal.aborted) return abortError(signal);
  if (isRepriseError(error)) return error;
  return transient('network', `track "${trackId}": the connection failed (${(error as Error)?.message ?? error})`, { trackId }, error);
}
