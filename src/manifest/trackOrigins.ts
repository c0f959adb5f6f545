import { RepriseError } from '../errors/RepriseError.js';

/**
 * Resolves a track's `url` against the manifest URL the app configured (DESIGN.md: not a
 * redirect target) and checks that it stays on the manifest's origin or one the app allowed.
 * The manifest itself can never widen the list (security rule 3).
 */
export function resolveTrackUrl(url: string, manifestUrl: string, allowed: ReadonlySet<string>, trackId: string): URL {
  let resolved: URL;
  try {
    resolved = new URL(url, manifestUrl);
  } catch (cause) {
    throw new RepriseError('origin-not-allowed', `track "${trackId}" has url "${url}", which is not a URL`, { trackId }, { cause });
  }
  if ((resolved.protocol !== 'https:' && resolved.protocol !== 'http:') || !allowed.has(resolved.origin)) {
    throw new RepriseError('origin-not-allowed', `track "${trackId}" resolves to ${resolved.origin}, which is neither the manifest's origin nor in allowedOrigins`, {
      trackId,
      url: resolved.href,
    });
  }
  return resolved;
}

/** The manifest URL's origin plus the app's allowedOrigins, normalised to `URL#origin`. */
export function allowedOriginSet(manifestUrl: string, allowedOrigins: readonly string[]): Set<string> {
  return new Set([new URL(manifestUrl).origin, ...allowedOrigins.map((o) => new URL(o).origin)]);
}
