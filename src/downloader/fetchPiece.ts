import { redactUrl } from '../util/redactUrl.js';
import { RepriseError, abortError } from '../errors/RepriseError.js';
import type { ChunkAssembler } from './ChunkAssembler.js';
import { checkResponse } from './checkResponse.js';
import type { ChunkSink } from './ChunkSink.js';
import type { DownloadHooks, DownloadRequest } from './downloadTrack.js';
import { parseContentRange } from './parseContentRange.js';
import { stallWatchdog } from './stallWatchdog.js';
import { transient } from './transient.js';

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

  const release = (await hooks.slot?.(hooks.signal)) ?? (() => {});
  let response: Response | undefined;
  let done: (() => void) | undefined;
  try {
    await hooks.throttle(end - start + 1, hooks.signal);
    done = hooks.onRequest?.(req.url);
    // authorize(): asked before the request, and once more (attempt 1) after a 401/403.
    for (let attempt = 0; ; attempt++) {
      const target = await authorizedRequest(req, hooks, attempt, headers);
      try {
        // no-store: the verified chunks are the copy; the HTTP cache would keep a second one.
        response = await hooks.fetch(target.url, { headers: target.headers, signal: hooks.signal, credentials: hooks.credentials ?? 'same-origin', redirect: 'follow', cache: 'no-store' });
      } catch (cause) {
        if (hooks.signal.aborted) throw abortError(hooks.signal);
        throw transient('network', `fetching track "${trackId}" failed (${(cause as Error)?.message ?? cause})`, { trackId, url: redactUrl(req.url) }, cause);
      }
      if (attempt > 0 || !hooks.authorize || (response.status !== 401 && response.status !== 403)) break;
      void response.body?.cancel().catch(() => {});
    }
    checkResponse(response, req, hooks.allowedOrigins, hooks.clock.now());

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
    await readBody(response, req, hooks, bodyStart, stopAt, chunks, sink, end - start + 1);
  } catch (error) {
    void response?.body?.cancel().catch(() => {});
    throw error;
  } finally {
    done?.();
    release();
  }
}

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
): Promise<void> {
  const { digests, trackId } = req;
  let read = 0;
  if (!response.body) throw transient('network', `track "${trackId}": the response has no body`, { trackId });
  const reader = response.body.getReader();
  const watchdog = stallWatchdog(reader, hooks.clock, hooks.stallMs, trackId);
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
    void reader.cancel().catch(() => {});
  }
}

/**
 * The URL and headers of one request after the app's `authorize` hook: its `url` must be on an
 * allowed origin (`origin-not-allowed`, nothing fetched); `Range` stays reprise's.
 */
async function authorizedRequest(req: DownloadRequest, hooks: DownloadHooks, attempt: number, headers: Record<string, string>): Promise<{ url: string; headers: Record<string, string> }> {
  if (!hooks.authorize) return { url: req.url, headers };
  const answer = await hooks.authorize({ url: req.url, kind: 'media', trackId: req.trackId, attempt });
  let url = req.url;
  if (answer?.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(answer.url, req.url);
    } catch {
      throw new RepriseError('unauthorized', `authorize() returned a URL that does not parse for track "${req.trackId}"`, { trackId: req.trackId });
    }
    const allowed = hooks.allowedOrigins ?? new Set([new URL(req.url).origin]);
    if (!allowed.has(parsed.origin) || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      throw new RepriseError('origin-not-allowed', `authorize() returned a URL on ${parsed.origin} for track "${req.trackId}", which is neither the manifest's origin nor in allowedOrigins`, { trackId: req.trackId, origin: parsed.origin });
    }
    url = parsed.href;
  }
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer?.headers ?? {})) if (name.toLowerCase() !== 'range') merged[name] = value;
  return { url, headers: { ...merged, ...headers } };
}
