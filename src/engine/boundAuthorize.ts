import { RepriseError } from '../errors/RepriseError.js';
import type { Authorize, AuthorizeRequest } from '../manifest/v2/requestDocument.js';
import { redactUrl } from '../util/redactUrl.js';

/** The hook as reprise calls it: always a promise. */
export type BoundAuthorize = (request: AuthorizeRequest) => Promise<{ url?: string; headers?: Record<string, string> } | undefined>;

/** How long the app's `authorize` hook may take before it counts as a failed authorization. */
export const AUTHORIZE_TIMEOUT_MS = 10_000;

/**
 * The app's hook as reprise calls it (docs/how-it-works.md "Authenticated media"): at most
 * {@link AUTHORIZE_TIMEOUT_MS}, and a hook that throws or times out is a failed authorization
 * (`unauthorized`) carrying the app's message — never the token or a signed URL.
 */
export function boundAuthorize(hook: Authorize | undefined): BoundAuthorize | undefined {
  if (!hook) return undefined;
  return async (request: AuthorizeRequest) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`it did not answer within ${AUTHORIZE_TIMEOUT_MS} ms`)), AUTHORIZE_TIMEOUT_MS);
    });
    try {
      const answer = await Promise.race([Promise.resolve().then(() => hook(request)), timeout]);
      if (answer !== undefined && (typeof answer !== 'object' || answer === null)) throw new Error('it must return { url?, headers? } or nothing');
      return answer ?? undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RepriseError('unauthorized', `authorize() failed for ${request.kind} ${redactUrl(request.url)}: ${message}`, { kind: request.kind, ...(request.trackId ? { trackId: request.trackId } : {}) });
    } finally {
      clearTimeout(timer);
    }
  };
}
