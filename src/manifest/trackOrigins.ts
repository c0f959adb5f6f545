import { RepriseError } from '../errors/RepriseError.js';

/**
 * Resolves a URL of a manifest against the manifest URL the app configured (docs/how-it-works.md: not a
 * redirect target) and checks that it stays on the manifest's origin or one the app allowed
 * (security rule 3). `what` names it in the message ("track \"t1\"", "part 3").
 */
export function resolveAllowedUrl(url: string, manifestUrl: string, allowed: ReadonlySet<string>, what: string, details: Record<string, unknown> = {}): URL {
  let resolved: URL;
  try {
    resolved = new URL(url, manifestUrl);
  } catch (cause) {
    throw new RepriseError('origin-not-allowed', `${what} has url "${url}", which is not a URL`, details, { cause });
  }
  checkAllowedOrigin(resolved, allowed, what, details);
  return resolved;
}

/** Throws `origin-not-allowed` unless `url` is http(s) on an allowed origin. */
export function checkAllowedOrigin(url: URL, allowed: ReadonlySet<string>, what: string, details: Record<string, unknown> = {}): void {
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !allowed.has(url.origin)) {
    throw new RepriseError('origin-not-allowed', `${what} resolves to ${url.origin}, which is neither the manifest's origin nor in allowedOrigins`, {
      ...details,
      url: url.href,
    });
  }
}

/** A track's `url`, resolved and checked; a track outside the allowed origins is refused alone. */
export function resolveTrackUrl(url: string, manifestUrl: string, allowed: ReadonlySet<string>, trackId: string): URL {
  return resolveAllowedUrl(url, manifestUrl, allowed, `track "${trackId}"`, { trackId });
}

/** The manifest URL's origin plus the app's allowedOrigins, normalised to `URL#origin`. */
export function allowedOriginSet(manifestUrl: string, allowedOrigins: readonly string[]): Set<string> {
  return new Set([new URL(manifestUrl).origin, ...allowedOrigins.map((o) => new URL(o).origin)]);
}
