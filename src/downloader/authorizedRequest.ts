import { RepriseError } from '../errors/RepriseError.js';
import type { DownloadHooks, DownloadRequest } from './downloadTrack.js';

/**
 * The URL and headers of one request after the app's `authorize` hook: its `url` must be on an
 * allowed origin (`origin-not-allowed`, nothing fetched); `Range` stays reprise's.
 */
export async function authorizedRequest(req: Pick<DownloadRequest, 'url' | 'trackId'>, hooks: Pick<DownloadHooks, 'authorize' | 'allowedOrigins'>, attempt: number, headers: Record<string, string>): Promise<{ url: string; headers: Record<string, string> }> {
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
