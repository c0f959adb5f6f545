import { RepriseError } from '../errors/RepriseError.js';
import type { ResolvedOptions } from './options.js';

/**
 * GETs the manifest text, reading at most `limits.maxManifestBytes`. Network failures, 408, 429
 * and 5xx are `network` (the manifest is "unreachable": DESIGN.md rule 4 then falls back to the
 * stored one); 401/403 are `unauthorized`, 404/410 `not-found`.
 */
export async function fetchManifest(opts: Pick<ResolvedOptions, 'fetch' | 'manifestUrl' | 'credentials' | 'limits'>, signal?: AbortSignal): Promise<string> {
  let response: Response;
  try {
    response = await opts.fetch(opts.manifestUrl, { cache: 'no-store', credentials: opts.credentials, signal, headers: { Accept: 'application/jose, text/plain, */*' } });
  } catch (cause) {
    throw new RepriseError('network', `the manifest at ${opts.manifestUrl} could not be fetched (${(cause as Error)?.message ?? cause})`, { url: opts.manifestUrl }, { cause });
  }
  const details = { url: opts.manifestUrl, status: response.status };
  if (!response.ok) {
    void response.body?.cancel().catch(() => {});
    if (response.status === 401 || response.status === 403) throw new RepriseError('unauthorized', `the manifest request answered ${response.status}`, details);
    if (response.status === 404 || response.status === 410) throw new RepriseError('not-found', `the manifest request answered ${response.status}`, details);
    throw new RepriseError('network', `the manifest request answered ${response.status}`, details);
  }
  const max = opts.limits.maxManifestBytes;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    void response.body?.cancel().catch(() => {});
    throw new RepriseError('manifest-invalid', `the manifest is ${declared} bytes, over maxManifestBytes (${max})`, details);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        void reader.cancel().catch(() => {});
        throw new RepriseError('manifest-invalid', `the manifest is over maxManifestBytes (${max})`, details);
      }
      parts.push(value);
    }
  } catch (cause) {
    if (cause instanceof RepriseError) throw cause;
    throw new RepriseError('network', `the manifest body could not be read (${(cause as Error)?.message ?? cause})`, details, { cause });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) (bytes.set(p, offset), (offset += p.byteLength));
  return new TextDecoder().decode(bytes);
}
