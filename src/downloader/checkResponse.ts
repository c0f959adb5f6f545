import { redactUrl } from '../util/redactUrl.js';
import { RepriseError } from '../errors/RepriseError.js';
import { parseRetryAfter } from './retryAfter.js';
import { transient } from './transient.js';

interface Requested {
  trackId: string;
  url: string;
  mimeType: string;
}

/**
 * Refuses a response before any of its body is read (DESIGN.md "Throttled resync"): a final URL
 * (after redirects) off the allowed origins, an HTML page instead of media, or an error status
 * (401/403 unauthorized, 404/410 not-found, 408/416/429/5xx transient — a 416 for a range the
 * manifest says exists means the origin is mid-publish).
 */
export function checkResponse(response: Response, req: Requested, allowed: ReadonlySet<string> | undefined, now: number): void {
  checkFinalUrl(response, req, allowed);
  const { status } = response;
  const details = { trackId: req.trackId, status, url: redactUrl(req.url) };
  if (status === 200 || status === 206) {
    // An HTML page with status 200 is a captive portal or a CDN error page, not the track.
    const type = response.headers.get('content-type') ?? '';
    if (/^text\/html/i.test(type) && !/^text\/html/i.test(req.mimeType)) {
      throw transient('network', `track "${req.trackId}": the origin answered an HTML page instead of ${req.mimeType}`, details);
    }
    return;
  }
  if (status === 401 || status === 403) throw new RepriseError('unauthorized', `track "${req.trackId}": the origin answered ${status}`, details);
  if (status === 404 || status === 410) throw new RepriseError('not-found', `track "${req.trackId}": ${redactUrl(req.url)} answered ${status}`, details);
  if (status === 408 || status === 416 || status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined;
    throw transient('network', `track "${req.trackId}": the origin answered ${status}`, { ...details, retryAfterMs });
  }
  throw new RepriseError('network', `track "${req.trackId}": the origin answered ${status}`, details);
}

function checkFinalUrl(response: Response, req: Requested, allowed: ReadonlySet<string> | undefined): void {
  if (!response.url) return; // a constructed Response (tests, a service worker's own) has no URL
  const origin = new URL(response.url).origin;
  if (allowed ? allowed.has(origin) : origin === new URL(req.url).origin) return;
  throw new RepriseError('origin-not-allowed', `track "${req.trackId}": ${redactUrl(req.url)} redirected to ${origin}, which is neither the manifest's origin nor in allowedOrigins`, {
    trackId: req.trackId,
    url: redactUrl(req.url),
  });
}
