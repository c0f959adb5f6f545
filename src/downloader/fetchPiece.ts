import { redactUrl } from '../util/redactUrl.js';
import { RepriseError, abortError } from '../errors/RepriseError.js';
import type { ChunkAssembler } from './ChunkAssembler.js';
import { authorizedRequest } from './authorizedRequest.js';
import { checkResponse } from './checkResponse.js';
import type { ChunkSink } from './ChunkSink.js';
import type { DownloadHooks, DownloadRequest, RequestWatch } from './downloadTrack.js';
import { parseContentRange } from './parseContentRange.js';
import { RequestProgress } from './RequestProgress.js';
import { stallWatchdog } from '../util/stallWatchdog.js';
import { transient } from './transient.js';
import { settledWithin } from '../util/settledWithin.js';

/**
 * How long a request cut short (cancelled before its body ended: a refused answer, a stall, a
 * failure mid-body, bytes past what was asked; or given up before any answer came) keeps its
 * slot after the cancel settled. The
 * origin learns of a closed connection after the client does; releasing at once let the next
 * request reach a loaded origin while it still counted the old one open (`maxConcurrent` + 1 at
 * the origin, found by the reliability soak). Costs nothing to a request read to its end.
 */
export const CLOSE_GRACE_MS = 50;

/** One request: bytes `start`..`end` (inclusive) of a track; it may cover part of a chunk. */
export interface Piece {
  start: number;
  end: number;
}

/**
 * Fetches one piece: waits for a request slot, pays the token bucket for the piece's bytes
 * before asking (whatever a browser reads ahead, the origin sends no more), then puts the body
 * into chunks and hands the complete ones to the sink. `onHeaders` learns the status once the response is accepted (a 200
 * means the origin ignores `Range`: the body is the whole file). A refused or failed response
 * is cancelled at once: an open response keeps the origin sending.
 */
export async function fetchPiece(req: DownloadRequest, hooks: DownloadHooks, piece: Piece, chunks: ChunkAssembler, sink: ChunkSink, onHeaders: (status: number) => void): Promise<void> {
  const { chunkSize, size, trackId } = req;
  const { start, end } = piece;
  const headers: Record<string, string> = {};
  if (!(start === 0 && end === size - 1)) headers.Range = `bytes=${start}-${end}`;

  const progress = new RequestProgress(end - start + 1);
  const release = await playbackFirstSlot(req, hooks, piece, progress);
  // The request's own signal: the download's, or the answer's timeout (a stall before the headers).
  const request = new AbortController();
  const abortRequest = () => request.abort(hooks.signal.reason);
  hooks.signal.addEventListener('abort', abortRequest, { once: true });
  let response: Response | undefined;
  let watch: RequestWatch | undefined;
  // Set when the response's body is given up before its end; settles once the cancel did.
  let cutShort: Promise<unknown> | undefined;
  const closing: Closing = {};
  // The request went out (fetch was called): from then on the origin may count it open.
  let sent = false;
  try {
    await hooks.throttle(end - start + 1, hooks.signal);
    // Paused for a full quota meanwhile: not sent (its chunks stay missing; the job is queued again).
    if (hooks.mayRequest?.() === false) return;
    watch = hooks.onRequest?.(req.url);
    // authorize(): asked before the request, and once more (attempt 1) after a 401/403.
    for (let attempt = 0; ; attempt++) {
      const target = await authorizedRequest(req, hooks, attempt, headers);
      sent = true;
      progress.sent();
      // no-store: the verified chunks are the copy; the HTTP cache would keep a second one.
      response = await fetchWithin(hooks, request, target.url, { headers: target.headers, credentials: hooks.credentials ?? 'same-origin', redirect: 'follow', cache: 'no-store' }, req);
      if (attempt > 0 || !hooks.authorize || (response.status !== 401 && response.status !== 403)) break;
      // A refused answer is closed before asking again: its slot is not given up meanwhile.
      if ((await endBody(response)) === 'cut') await delay(CLOSE_GRACE_MS);
    }
    checkResponse(response, req, hooks.allowedOrigins, hooks.clock.now());
    watch?.accepted();

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
      stopAt = Math.min(size, (Math.max(...chunks.wanted) + 1) * chunkSize);
    }
    onHeaders(response.status);
    progress.expect(stopAt - bodyStart);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const read = await readBody(response, req, hooks, bodyStart, stopAt, chunks, sink, end - start + 1, closing, progress);
    // All that was asked is read, but the body goes on (a 200 to a Range, trailing bytes): cut short.
    const more = Number.isFinite(declared) ? read < declared : response.status === 200 && stopAt < size;
    if (more) cutShort = closing.cancel;
  } catch (error) {
    // A body being read was cut short; an unread one (a refused answer) is read to its end when it
    // is small and already there, else cancelled.
    if (closing.cancel) cutShort = closing.cancel;
    else if (response) cutShort = endBody(response).then((how) => (how === 'cut' ? undefined : SKIP_GRACE));
    // Given up before any answer (a stall, a stop): the origin took the request and learns of the
    // close after this client does, as for a body cut short.
    else if (sent && request.signal.aborted) cutShort = Promise.resolve();
    throw error;
  } finally {
    hooks.signal.removeEventListener('abort', abortRequest);
    watch?.ended();
    if (cutShort) void settle(cutShort).then((how) => (how === SKIP_GRACE ? undefined : delay(CLOSE_GRACE_MS))).then(release, release);
    else release();
  }
}

/**
 * A request slot for a piece, outside a playback hold (docs/playback-url.md "Playback first"): no
 * new request starts while a listener starts another track — also one that was already waiting
 * for a slot when the hold began (the slot goes back and the piece waits for the hold to end).
 */
async function playbackFirstSlot(req: DownloadRequest, hooks: DownloadHooks, piece: Piece, progress: RequestProgress): Promise<() => void> {
  const digests = req.digests.slice(Math.floor(piece.start / req.chunkSize), Math.floor(piece.end / req.chunkSize) + 1);
  for (;;) {
    const held = hooks.yieldToPlayback?.(digests);
    if (held) await held;
    const release = (await hooks.slot?.(hooks.signal, progress.eta)) ?? (() => {});
    if (!hooks.holdsFor?.(digests)) return release;
    release();
  }
}

/**
 * `fetch` whose answer (status and headers) must come within `stallMs`: an origin that takes the
 * request and never answers is a stall, as one that stops sending the body is (no hang).
 */
async function fetchWithin(hooks: DownloadHooks, request: AbortController, url: string, init: RequestInit, req: DownloadRequest): Promise<Response> {
  const { trackId } = req;
  const timer = new AbortController();
  let stalled = false;
  void hooks.clock.sleep(hooks.stallMs, timer.signal).then(() => {
    stalled = true;
    request.abort();
  }, noop);
  try {
    return await hooks.fetch(url, { ...init, signal: request.signal });
  } catch (cause) {
    if (hooks.signal.aborted) throw abortError(hooks.signal);
    if (stalled) throw transient('network', `track "${trackId}": no answer for ${hooks.stallMs} ms (stalled)`, { trackId, stalled: true });
    throw transient('network', `fetching track "${trackId}" failed (${(cause as Error)?.message ?? cause})`, { trackId, url: redactUrl(req.url) }, cause);
  } finally {
    timer.abort();
  }
}

/** Marks an unread body that ended by itself: its slot is free at once. */
const SKIP_GRACE = Symbol('ended');

/** What an unread body may hold and still be read to its end rather than cancelled (a refusal's page). */
const DRAIN_BYTES = 64 * 1024;

/**
 * Ends an unread body: read to its end when it is small and already arrived (a refusal's empty
 * or short page: nothing is cut, and the connection stays reusable), else cancelled (`cut`).
 * Never waits for bytes that are not there yet: one turn of the event loop at most per read.
 */
async function endBody(response: Response): Promise<'ended' | 'cut'> {
  const body = response.body;
  if (!body) return 'ended';
  if (body.locked) return 'cut';
  const reader = body.getReader();
  const late = Symbol('late');
  let read = 0;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([reader.read(), new Promise<typeof late>((resolve) => (timer = setTimeout(resolve, 0, late)))]).finally(() => clearTimeout(timer));
      if (next === late) break;
      if (next.done) return 'ended';
      read += next.value.byteLength;
      if (read > DRAIN_BYTES) break;
    }
  } catch {
    return 'ended'; // the body failed: the connection is gone already
  }
  await settle(reader.cancel());
  return 'cut';
}

/** Waits for a cancel to settle, never longer than a second (an engine whose cancel never settles does not keep the slot). */
function settle<T>(cancel: Promise<T> | undefined): Promise<T | undefined> {
  if (!cancel) return Promise.resolve(undefined);
  return settledWithin(cancel.catch(() => undefined), 1000);
}

/**
 * Real time, not the engine's clock: the grace is how long a connection takes to close at the
 * origin, which no injected clock decides.
 */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const noop = (): void => {};

async function readBody(
  response: Response,
  req: DownloadRequest,
  hooks: DownloadHooks,
  bodyStart: number,
  stopAt: number,
  chunks: ChunkAssembler,
  sink: ChunkSink,
  /** Bytes already paid for (the request). */
  paid: number,
  closing: Closing,
  progress: RequestProgress,
): Promise<number> {
  const { digests, trackId } = req;
  let read = 0;
  if (!response.body) throw transient('network', `track "${trackId}": the response has no body`, { trackId });
  const reader = response.body.getReader();
  const watchdog = stallWatchdog(reader, hooks.clock, hooks.stallMs, () => transient('network', `track "${trackId}": no bytes for ${hooks.stallMs} ms (stalled)`, { trackId, stalled: true }));
  let pos = bodyStart;
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
      const take = Math.min(value.byteLength, stopAt - pos);
      progress.add(take);
      const complete = chunks.write(pos, value.subarray(0, take));
      pos += take;
      for (const c of complete) await sink.add(c.index, digests[c.index]!, c.bytes);
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
    closing.cancel = reader.cancel().catch(() => {});
  }
  return read;
}

/** The body's cancel, once its reader gave it up. */
interface Closing {
  cancel?: Promise<unknown>;
}
