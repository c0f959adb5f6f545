import { isRepriseError } from '../errors/RepriseError.js';
import { authorizedRequest } from './authorizedRequest.js';
import type { DownloadHooks } from './downloadTrack.js';

/** The origin accepts the app's authorization now, refuses it, or could not be asked (offline, an error status). */
export type ProbeVerdict = 'accepted' | 'refused' | 'failed';

/**
 * Asks an origin for the first byte of a track it serves, authorized as any media request (and
 * once more after a 401/403, `attempt` 1): whether the app's authorization is accepted there now.
 * A region lock's verdict when no download is left to give one (docs/authenticated-media.md). The
 * answer's body is cancelled unread; no answer within `stallMs` is `failed`.
 */
export async function probeAuthorization(
  target: { trackId: string; url: string },
  hooks: Pick<DownloadHooks, 'fetch' | 'clock' | 'stallMs' | 'credentials' | 'authorize' | 'allowedOrigins'>,
  signal: AbortSignal,
): Promise<ProbeVerdict> {
  const request = new AbortController();
  const stop = () => request.abort();
  signal.addEventListener('abort', stop, { once: true });
  const timer = new AbortController();
  void hooks.clock.sleep(hooks.stallMs, timer.signal).then(stop, () => {});
  try {
    for (let attempt = 0; ; attempt++) {
      const { url, headers } = await authorizedRequest(target, hooks, attempt, { Range: 'bytes=0-0' });
      const response = await hooks.fetch(url, { headers, credentials: hooks.credentials ?? 'same-origin', redirect: 'follow', cache: 'no-store', signal: request.signal });
      void response.body?.cancel().catch(() => {});
      if (response.status === 401 || response.status === 403) {
        if (attempt === 0 && hooks.authorize) continue;
        return 'refused';
      }
      const origin = response.url ? new URL(response.url).origin : new URL(url).origin;
      const allowed = hooks.allowedOrigins ?? new Set([new URL(target.url).origin]);
      return (response.status === 200 || response.status === 206) && allowed.has(origin) ? 'accepted' : 'failed';
    }
  } catch (error) {
    // The hook itself failed (it threw, timed out): the app has no authorization to give now.
    return isRepriseError(error, 'unauthorized') ? 'refused' : 'failed';
  } finally {
    timer.abort();
    signal.removeEventListener('abort', stop);
  }
}
