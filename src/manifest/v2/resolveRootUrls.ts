import { resolveAllowedUrl } from '../trackOrigins.js';
import type { PartRef } from './rootSchema.js';
import type { VerifiedRoot } from './verifyRoot.js';

export interface ResolvedPart extends PartRef {
  /** Index in the root's `parts`. */
  index: number;
  /** Absolute URL, on an allowed origin. */
  href: string;
}

export interface ResolvedRoot {
  parts: ResolvedPart[];
  /** Absolute `indexBase`, on an allowed origin: a chunk list is `indexBase + contentId`. */
  indexBase: string;
}

/**
 * Resolves the root's part URLs and `indexBase` against the manifest URL. One outside the
 * allowed origins refuses the whole root (`origin-not-allowed`): parts and chunk lists are the
 * manifest itself, unlike a track URL, which refuses only its track.
 */
export function resolveRootUrls(verified: VerifiedRoot, manifestUrl: string, allowed: ReadonlySet<string>): ResolvedRoot {
  const parts = verified.root.parts.map((ref, index) => ({
    ...ref,
    index,
    href: resolveAllowedUrl(ref.url, manifestUrl, allowed, `manifest part ${index}`, { path: `parts.${index}.url` }).href,
  }));
  const indexBase = resolveAllowedUrl(verified.root.indexBase, manifestUrl, allowed, 'the manifest indexBase', { path: 'indexBase' }).href;
  return { parts, indexBase };
}

/** docs/how-it-works.md: a track's chunk list is `GET <indexBase><contentId>`. */
export function chunkListUrl(indexBase: string, contentId: string): string {
  return indexBase + contentId;
}
