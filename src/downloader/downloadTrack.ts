import { RepriseError, abortError, isRepriseError } from '../errors/RepriseError.js';
import type { Clock } from '../util/clock.js';
import type { ChunkBuffers } from './ChunkBuffers.js';
import { ChunkSink, type VerifiedChunk } from './ChunkSink.js';
import { parseContentRange } from './parseContentRange.js';
import { planRanges } from './planRanges.js';
import { parseRetryAfter } from './retryAfter.js';

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

/** Marks errors worth retrying (docs/how-it-works.md "Throttled resync": network, 408, 429, 5xx, truncation, stalls). */
export function transient(code: 'network' | 'integrity-mismatch', what: string, details: Record<string, unknown> = {}, cause?: unknown): RepriseError {
  return new RepriseError(code, what, { ...details, transient: true }, cause === undefined ? undefined : { cause });
}

export function isTransient(error: unknown): boolean {
  return isRepriseError(error) && (error as RepriseError).details?.transient === true;
}

/**
 * One attempt at a track's missing chunks: a `Range` request per run of missing chunks, the body
 * cut into the manifest's chunks as it streams (never the whole track in memory), every chunk
 * hashed before it is written. Verified chunks are committed even when the attempt then fails,
 * so the next attempt starts from the first chunk still missing (storage invariant 2).
 *
 * Throws a RepriseError: `transient` ones (details.transient) are for the scheduler to retry.
 */
export async function downloadTrack(req: DownloadRequest, hooks: DownloadHooks): Promise<DownloadResult> {
  const sink = new ChunkSink(hooks.commit, hooks.clock, hooks.buffers);
  const wanted = new Set(req.missing);
  let failure: unknown;
  try {
    for (const run of planRanges(req.missing)) {
      for (let first = run.first; first <= run.last; ) {
        const last = lastChunkOfRequest(req, first, run.last, hooks.maxRequestBytes?.() ?? Infinity);
        if ([...range(first, last)].some((i) => wanted.has(i))) await fetchRun(req, hooks, first, last, wanted, sink); // else a 200 already covered it
        first = last + 1;
      }
    }
  } catch (error) {
    failure = error;
  }
  // After a failure the scheduler must first see it (backoff, Retry-After) before starting more.
  if (failure === undefined) hooks.onNetworkDone?.();
  // Commit what verified, whatever happened (also on abort: a paused download keeps its chunks).
  try {
    await sink.finish();
  } catch (storeError) {
    throw storeError; // quota-exceeded outranks the network error that may have come with it
  }
  if (failure !== undefined) throw normalise(failure, hooks.signal, req.trackId);
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
 * in `maxBytes`, and at least one (docs/how-it-works.md: the origin sends at most one chunk beyond the cap).
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

async function fetchRun(req: DownloadRequest, hooks: DownloadHooks, first: number, last: number, wanted: Set<number>, sink: ChunkSink): Promise<void> {
  const { chunkSize, size, trackId } = req;
  const start = first * chunkSize;
  const end = Math.min(size, (last + 1) * chunkSize) - 1;
  const headers: Record<string, string> = {};
  if (!(start === 0 && end === size - 1)) headers.Range = `bytes=${start}-${end}`;

  // Paid for before it is asked: whatever the browser reads ahead, the origin sends no more.
  await hooks.throttle(end - start + 1, hooks.signal);
  const done = hooks.onRequest?.(req.url);
  let response: Response | undefined;
  try {
    try {
      // no-store: the verified chunks are the copy; the HTTP cache would keep a second one.
      response = await hooks.fetch(req.url, { headers, signal: hooks.signal, credentials: hooks.credentials ?? 'same-origin', redirect: 'follow', cache: 'no-store' });
    } catch (cause) {
      if (hooks.signal.aborted) throw abortError(hooks.signal);
      throw transient('network', `fetching track "${trackId}" failed (${(cause as Error)?.message ?? cause})`, { trackId, url: req.url }, cause);
    }
    checkFinalUrl(response, req, hooks.allowedOrigins);
    checkStatus(response, req, hooks.clock.now());

    let bodyStart: number;
    let stopAt: number; // exclusive: the byte after the last one this request must deliver
    if (response.status === 206) {
      const cr = parseContentRange(response.headers.get('content-range'));
      if (!cr) throw transient('network', `track "${trackId}": 206 with a missing or malformed Content-Range`, { trackId, status: 206 });
      if (cr.size !== undefined && cr.size !== size) {
        throw transient('integrity-mismatch', `track "${trackId}" is ${cr.size} bytes at the origin, the manifest says ${size}`, { trackId });
      }
      if (cr.start > start || cr.end < end) {
        throw transient('network', `track "${trackId}": asked bytes ${start}-${end}, the origin sent ${cr.start}-${cr.end}`, { trackId, status: 206 });
      }
      bodyStart = cr.start;
      stopAt = end + 1;
    } else {
      // 200: the server ignored Range (or no Range was sent). The body is the whole file; take
      // every chunk still wanted from it rather than asking again.
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(length) && length !== size) {
        throw transient('integrity-mismatch', `track "${trackId}" is ${length} bytes at the origin, the manifest says ${size}`, { trackId });
      }
      bodyStart = 0;
      stopAt = Math.min(size, (Math.max(...wanted) + 1) * chunkSize);
    }
    await readBody(response, req, hooks, bodyStart, stopAt, wanted, sink, end - start + 1);
  } catch (error) {
    // Refused or failed: nothing more of it is wanted, and an open response keeps the origin sending.
    void response?.body?.cancel().catch(() => {});
    throw error;
  } finally {
    done?.();
  }
}

/** docs/how-it-works.md "Throttled resync": a response whose final URL left the allowed origins is refused unread. */
function checkFinalUrl(response: Response, req: DownloadRequest, allowed: ReadonlySet<string> | undefined): void {
  if (!response.url) return; // a constructed Response (tests, a service worker's own) has no URL
  const origin = new URL(response.url).origin;
  if (allowed ? allowed.has(origin) : origin === new URL(req.url).origin) return;
  throw new RepriseError('origin-not-allowed', `track "${req.trackId}": ${req.url} redirected to ${origin}, which is neither the manifest's origin nor in allowedOrigins`, {
    trackId: req.trackId,
    url: req.url,
  });
}

function checkStatus(response: Response, req: DownloadRequest, now: number): void {
  const { status } = response;
  const details = { trackId: req.trackId, status, url: req.url };
  if (status === 200 || status === 206) {
    // An HTML page with status 200 is a captive portal or a CDN error page, not the track.
    const type = response.headers.get('content-type') ?? '';
    if (/^text\/html/i.test(type) && !/^text\/html/i.test(req.mimeType)) {
      throw transient('network', `track "${req.trackId}": the origin answered an HTML page instead of ${req.mimeType}`, details);
    }
    return;
  }
  if (status === 401 || status === 403) throw new RepriseError('unauthorized', `track "${req.trackId}": the origin answered ${status}`, details);
  if (status === 404 || status === 410) throw new RepriseError('not-found', `track "${req.trackId}": ${req.url} answered ${status}`, details);
  // 416 for a range the manifest says exists: the origin is mid-publish; try again later.
  if (status === 408 || status === 416 || status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined;
    throw transient('network', `track "${req.trackId}": the origin answered ${status}`, { ...details, retryAfterMs });
  }
  throw new RepriseError('network', `track "${req.trackId}": the origin answered ${status}`, details);
}

async function readBody(
  response: Response,
  req: DownloadRequest,
  hooks: DownloadHooks,
  bodyStart: number,
  stopAt: number,
  wanted: Set<number>,
  sink: ChunkSink,
  /** Bytes already paid for (the request). */
  paid: number,
): Promise<void> {
  const { chunkSize, size, digests, trackId } = req;
  let read = 0;
  if (!response.body) throw transient('network', `track "${trackId}": the response has no body`, { trackId });
  const reader = response.body.getReader();
  const watchdog = stallWatchdog(reader, hooks, trackId);
  let pos = bodyStart;
  let chunk: Uint8Array | undefined; // the chunk being assembled, if it is wanted
  let chunkIndex = -1;
  try {
    while (pos < stopAt) {
      const { done, value } = await reader.read().catch((error) => {
        throw watchdog.stalled ?? error;
      });
      if (watchdog.stalled) throw watchdog.stalled; // a cancelled read resolves as done
      watchdog.progress();
      if (done) {
        throw transient('network', `track "${trackId}": the body ended at byte ${pos}, expected ${stopAt}`, { trackId });
      }
      hooks.onBody?.(value.byteLength);
      let offset = 0;
      while (offset < value.byteLength && pos < stopAt) {
        const index = Math.floor(pos / chunkSize);
        const chunkStart = index * chunkSize;
        const chunkEnd = Math.min(size, chunkStart + chunkSize);
        if (index !== chunkIndex) {
          chunkIndex = index;
          // Only a chunk seen from its first byte can be assembled; a body that starts
          // mid-chunk (a generous Content-Range) skips to the next boundary.
          chunk = wanted.has(index) && pos === chunkStart ? (hooks.buffers?.take(chunkEnd - chunkStart) ?? new Uint8Array(chunkEnd - chunkStart)) : undefined;
        }
        const take = Math.min(value.byteLength - offset, chunkEnd - pos);
        chunk?.set(value.subarray(offset, offset + take), pos - chunkStart);
        offset += take;
        pos += take;
        if (pos === chunkEnd && chunk) {
          wanted.delete(index);
          await sink.add(index, digests[index]!, chunk.buffer as ArrayBuffer);
          chunk = undefined;
        }
      }
      read += value.byteLength;
      const unpaid = Math.min(value.byteLength, read - paid);
      if (unpaid > 0) {
        // More than was asked (a 200 to a Range request): paid as it is read, the cap then holds on average.
        watchdog.throttled = true;
        await hooks.throttle(unpaid, hooks.signal);
        watchdog.throttled = false;
        watchdog.progress();
      }
    }
  } finally {
    watchdog.stop();
    // Stop the transfer of anything beyond what was asked (a 200 for a Range request).
    void reader.cancel().catch(() => {});
  }
}

/**
 * One timer per request, not one per read: reads only note the time. When no byte arrived for
 * `stallMs`, the reader is cancelled and the pending read fails with a transient `stalled` error.
 * Time spent waiting for throttle tokens is not a stall (the reader is not reading then).
 */
function stallWatchdog(reader: ReadableStreamDefaultReader<Uint8Array>, hooks: DownloadHooks, trackId: string) {
  const timer = new AbortController();
  const state = {
    stalled: undefined as RepriseError | undefined,
    /** True while the request waits for tokens: it is not reading, so it cannot be stalled. */
    throttled: false,
    last: hooks.clock.now(),
    progress() {
      state.last = hooks.clock.now();
    },
    stop() {
      timer.abort();
    },
  };
  void (async () => {
    try {
      for (;;) {
        if (state.throttled) state.progress();
        const idle = hooks.clock.now() - state.last;
        if (idle >= hooks.stallMs) break;
        await hooks.clock.sleep(hooks.stallMs - idle, timer.signal);
      }
      state.stalled = transient('network', `track "${trackId}": no bytes for ${hooks.stallMs} ms (stalled)`, { trackId, stalled: true });
      await reader.cancel(state.stalled).catch(() => {});
    } catch {
      // stopped: the request ended first
    }
  })();
  return state;
}

function normalise(error: unknown, signal: AbortSignal, trackId: string): unknown {
  if (signal.aborted) return abortError(signal);
  if (isRepriseError(error)) return error;
  return transient('network', `track "${trackId}": the connection failed (${(error as Error)?.message ?? error})`, { trackId }, error);
}
