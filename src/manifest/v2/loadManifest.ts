import { Catalog } from '../Catalog.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { decodeParts } from './decodeParts.js';
import { type HeldParts, fetchParts } from './fetchParts.js';
import { fetchRoot } from './fetchRoot.js';
import type { DocumentFetchOptions } from './requestDocument.js';
import { resolveRootUrls } from './resolveRootUrls.js';
import { TaskSlicer } from './TaskSlicer.js';
import { type VerifiedDocument, verifyManifestDocument } from './verifyManifestDocument.js';
import type { RootVerifyContext } from './verifyRoot.js';

export interface LoadManifestOptions extends DocumentFetchOptions {
  /** The manifest URL the app configured; every URL of the manifest resolves against it. */
  manifestUrl: string;
  /** Signature, epoch, expiry and version state (as for {@link verifyManifestDocument}). */
  verify: RootVerifyContext;
  /** The ETag stored with the manifest in force. */
  etag?: string | undefined;
  heldParts?: HeldParts;
  slicer?: TaskSlicer;
}

export type LoadedManifest =
  | { status: 'unchanged' }
  | {
      status: 'accepted';
      catalog: Catalog;
      document: VerifiedDocument;
      /** To store with the manifest, for the next `If-None-Match`. */
      etag: string | undefined;
      /** Parts fetched now (SHA-256 → body): to store with the root, or in no case before it is accepted. */
      newParts: Map<string, Uint8Array<ArrayBuffer>>;
      /** Bytes of the parts fetched now. */
      partBytes: number;
    };

/**
 * One manifest check, either format, accepted or refused as one and storing nothing: the root
 * with `If-None-Match` (304 → `unchanged`, nothing parsed), its signature and rules, then for
 * format 2 its part URLs (allowed origins), the parts not held (by hash), their hashes, and the
 * catalog, decoded in slices. The caller stores what comes back only when it accepts it, so a
 * refusal at any step leaves the store as it was (security rule 4).
 */
export async function loadManifest(opts: LoadManifestOptions): Promise<LoadedManifest> {
  const slicer = opts.slicer ?? new TaskSlicer();
  const limits = opts.verify.limits ?? DEFAULT_LIMITS;
  const fetched = await fetchRoot(opts.manifestUrl, { ...opts, limits, etag: opts.etag });
  if (fetched.status === 'unchanged') return fetched;
  await slicer.check();
  const document = await verifyManifestDocument(fetched.jws, opts.verify, slicer);
  await slicer.check();
  if (document.format === 1) {
    const catalog = await Catalog.build(document, opts.manifestUrl, opts.allowed, slicer);
    return { status: 'accepted', catalog, document, etag: fetched.etag, newParts: new Map(), partBytes: 0 };
  }
  const resolved = resolveRootUrls(document, opts.manifestUrl, opts.allowed);
  const parts = await fetchParts(resolved.parts, opts);
  await slicer.check();
  const decoded = await decodeParts(resolved.parts, parts.bodies, { limits, slicer });
  const catalog = await Catalog.buildV2(document, resolved, decoded, opts.manifestUrl, opts.allowed, slicer);
  const newParts = new Map([...parts.fetched].map((sha) => [sha, parts.bodies.get(sha)!]));
  return { status: 'accepted', catalog, document, etag: fetched.etag, newParts, partBytes: parts.bytes };
}
