import { RepriseError } from '../../errors/RepriseError.js';
import type { Clock } from '../../util/clock.js';
import { stallWatchdog } from '../../util/stallWatchdog.js';

/** docs/how-it-works.md "Authenticated media": what the app's hook is told before each request. */
export interface AuthorizeRequest {
  url: string;
  kind: 'manifest' | 'media';
  trackId?: string;
  attempt: number;
}

/** The app's hook: a short-lived bearer token, or a signed URL in place of `url`. */
export type Authorize = (request: AuthorizeRequest) => Promise<{ url?: string; headers?: Record<string, string> } | undefined | void> | { url?: string; headers?: Record<string, string> } | undefined | void;

export interface DocumentFetchOptions {
  fetch: typeof fetch;
  /** The manifest URL's origin and the app's allowedOrigins ({@link allowedOriginSet}). */
  allowed: ReadonlySet<string>;
  credentials?: RequestCredentials;
  authorize?: Authorize;
  signal?: AbortSignal;
  /**
   * The engine's `stallTimeoutMs` on its clock: an answer that does not come, or a body that stops
   * coming, for this long fails `network` (details `stalled`): a sync never hangs on its manifest.
   */
  stall?: { ms: number; clock: Clock };
}

export interface DocumentRequest {
  url: string;
  kind: 'manifest' | 'media';
  trackId?: string;
  /** Named in messages: "the manifest root", "manifest part 3". */
  what: string;
  headers?: Record<string, string>;
  cache: RequestCache;
  /** Statuses handed back instead of thrown (the root's 304). */
  pass?: readonly number[];
}

function checkOrigin(url: URL, allowed: ReadonlySet<string>, what: string, why: string): void {
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !allowed.has(url.origin)) {
    // The URL itself may carry a token (a signed URL): only its origin goes in the message.
    throw new RepriseError('origin-not-allowed', `${what} ${why} ${url.origin}, which is neither the manifest's origin nor in allowedOrigins`, { origin: url.origin });
  }
}

/**
 * One GET of a manifest document (root, part or chunk list): the app's `authorize` hook first
 * (a URL it returns must stay on an allowed origin), then fetch, following redirects and
 * checking the final URL's origin (security rule 3). A 401/403 asks the hook once more with
 * `attempt + 1`; then `unauthorized`. 404/410 are `not-found`; network failures, 408, 429 and
 * 5xx `network`. Tokens and signed URLs never appear in messages.
 */
export async function requestDocument(request: DocumentRequest, opts: DocumentFetchOptions): Promise<Response> {
  const details = { url: request.url, kind: request.kind, ...(request.trackId ? { trackId: request.trackId } : {}) };
  for (let attempt = 0; ; attempt++) {
    const grant = (await opts.authorize?.({ url: request.url, kind: request.kind, ...(request.trackId ? { trackId: request.trackId } : {}), attempt })) || {};
    const target = new URL(grant.url ?? request.url, request.url);
    if (grant.url !== undefined) checkOrigin(target, opts.allowed, request.what, 'is authorized at');
    let response: Response;
    const watch = stallWatch(opts, () => new RepriseError('network', `${request.what} at ${request.url}: nothing came for ${opts.stall!.ms} ms (stalled)`, { ...details, stalled: true }));
    try {
      response = await opts.fetch(target.href, {
        cache: request.cache,
        credentials: opts.credentials ?? 'same-origin',
        redirect: 'follow',
        signal: watch?.signal ?? opts.signal,
        headers: { ...grant.headers, ...request.headers },
      });
    } catch (cause) {
      watch?.stop();
      if (opts.signal?.aborted) throw cause;
      if (watch?.stalled) throw watch.stalled;
      throw new RepriseError('network', `${request.what} at ${request.url} could not be fetched (${(cause as Error)?.message ?? cause})`, details, { cause });
    }
    try {
      if (response.url) checkOrigin(new URL(response.url), opts.allowed, request.what, 'redirects to');
    } catch (error) {
      watch?.stop();
      void response.body?.cancel().catch(() => {});
      throw error;
    }
    const status = { ...details, status: response.status };
    if (response.ok || request.pass?.includes(response.status)) return watch ? watch.guard(response) : response;
    watch?.stop();
    void response.body?.cancel().catch(() => {});
    if (response.status === 401 || response.status === 403) {
      if (opts.authorize && attempt === 0) continue;
      throw new RepriseError('unauthorized', `${request.what} at ${request.url} answered ${response.status}`, status);
    }
    if (response.status === 404 || response.status === 410) throw new RepriseError('not-found', `${request.what} at ${request.url} answered ${response.status}`, status);
    throw new RepriseError('network', `${request.what} at ${request.url} answered ${response.status}`, status);
  }
}

/**
 * A request's stall bound: its signal aborts (with the `stalled` error) when the answer does not
 * come within `stall.ms`; `guard` hands the body to the downloads' stall watchdog (one timer per
 * body, reads only note the time).
 */
function stallWatch(opts: DocumentFetchOptions, error: () => RepriseError) {
  const { stall } = opts;
  if (!stall) return undefined;
  const controller = new AbortController();
  const follow = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) follow();
  else opts.signal?.addEventListener('abort', follow, { once: true });
  const answer = new AbortController();
  let stalled: RepriseError | undefined;
  stall.clock.sleep(stall.ms, answer.signal).then(() => controller.abort((stalled = error())), () => {});
  const stop = () => {
    answer.abort();
    opts.signal?.removeEventListener('abort', follow);
  };
  return {
    signal: controller.signal,
    get stalled() {
      return stalled;
    },
    stop,
    guard(response: Response): Response {
      stop();
      if (!response.body || [204, 205, 304].includes(response.status)) return response;
      const reader = response.body.getReader();
      const watchdog = stallWatchdog(reader, stall.clock, stall.ms, error);
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          try {
            const { done, value } = await reader.read();
            if (watchdog.stalled) throw watchdog.stalled; // a cancelled read resolves as done
            if (done) {
              watchdog.stop();
              c.close();
            } else {
              watchdog.progress();
              c.enqueue(value);
            }
          } catch (cause) {
            watchdog.stop();
            c.error(watchdog.stalled ?? cause);
          }
        },
        cancel(reason) {
          watchdog.stop();
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  };
}
