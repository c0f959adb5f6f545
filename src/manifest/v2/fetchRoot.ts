import { RepriseError } from '../../errors/RepriseError.js';
import { DEFAULT_LIMITS, type ManifestLimits } from '../limits.js';
import { fromBase64Url } from '../../util/base64url.js';
import type { BodyLimit } from './readLimitedBody.js';
import { readLimitedBody } from './readLimitedBody.js';
import { type DocumentFetchOptions, requestDocument } from './requestDocument.js';

/** The protected-header `typ` of a format-2 root, as the publisher writes it. */
export const ROOT_TYP = 'reprise-manifest-2+jws';

export type RootFetch =
  /** 304: the stored root is current; nothing was read, nothing is to be parsed or rewritten. */
  | { status: 'unchanged' }
  /** A body to verify (v1 manifest or v2 root), with the response's validator to store if it is accepted. */
  | { status: 'fetched'; jws: string; etag: string | undefined };

export interface RootFetchOptions extends DocumentFetchOptions {
  limits?: ManifestLimits;
  /** The ETag stored with the manifest in force: sent as If-None-Match. */
  etag?: string | undefined;
}

function overLimit(name: 'maxManifestBytes' | 'maxRootBytes', bytes: number, url: string): BodyLimit['tooLarge'] {
  const what = name === 'maxRootBytes' ? 'the manifest root' : 'the manifest';
  return (read) =>
    new RepriseError('manifest-invalid', `${what} at ${url} is over ${name} (${bytes} bytes${read ? `; refused after ${read} bytes` : ''}); raise the option limits.${name} to accept it`, {
      url,
      limit: name,
    });
}

/**
 * The limit of the manifest URL's body: `maxManifestBytes` for v1, tightened to `maxRootBytes`
 * as soon as the streamed JWS header declares a format-2 root (`typ`). The header is not
 * trusted for anything else; a root served without that `typ` is bounded after its signature
 * verified (`verifyRoot`).
 */
function rootLimit(limits: ManifestLimits, url: string): BodyLimit {
  const outer = Math.max(limits.maxManifestBytes, limits.maxRootBytes);
  const root: BodyLimit = { maxBytes: limits.maxRootBytes, tooLarge: overLimit('maxRootBytes', limits.maxRootBytes, url) };
  return {
    maxBytes: outer,
    tooLarge: overLimit(outer === limits.maxRootBytes ? 'maxRootBytes' : 'maxManifestBytes', outer, url),
    refine(head) {
      const dot = head.indexOf(0x2e);
      if (dot < 0) return undefined;
      try {
        const header = JSON.parse(new TextDecoder().decode(fromBase64Url(new TextDecoder().decode(head.subarray(0, dot)).trim()))) as { typ?: unknown };
        return header.typ === ROOT_TYP ? root : { ...this, refine: undefined };
      } catch {
        return { ...this, refine: undefined };
      }
    },
  };
}

/**
 * GETs the manifest URL with the stored validator (`If-None-Match`): a 304 means unchanged and
 * nothing is read. Otherwise the body streams under the size limit (decompressed), and comes
 * back as text with its ETag. Errors as {@link requestDocument}.
 */
export async function fetchRoot(manifestUrl: string, opts: RootFetchOptions): Promise<RootFetch> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const response = await requestDocument(
    {
      url: manifestUrl,
      kind: 'manifest',
      what: 'the manifest',
      cache: 'no-store',
      headers: { Accept: 'application/jose, text/plain, */*', ...(opts.etag ? { 'If-None-Match': opts.etag } : {}) },
      pass: [304],
    },
    opts,
  );
  if (response.status === 304) {
    void response.body?.cancel().catch(() => {});
    // A 304 to a request without a validator would leave nothing to use.
    if (!opts.etag) throw new RepriseError('network', `the manifest at ${manifestUrl} answered 304 to a request without If-None-Match`, { url: manifestUrl, status: 304 });
    return { status: 'unchanged' };
  }
  const bytes = await readLimitedBody(response, rootLimit(limits, manifestUrl), 'the manifest');
  return { status: 'fetched', jws: new TextDecoder().decode(bytes), etag: response.headers.get('etag') ?? undefined };
}
