import { pageError } from './pageError.js';

/**
 * Why a script (the cache worker, the service worker) did not start, in words a developer can
 * act on: the browser's own errors do not say (a worker's `error` event has no status; a 404
 * service worker surfaces as a TypeError or SecurityError). Fetches the URL once to find out.
 */
export async function scriptError(option: string, url: string, cause: string): Promise<Error> {
  const response = await fetch(url, { cache: 'no-store' }).catch(() => undefined);
  const type = response?.headers.get('content-type') ?? '';
  const details = { path: option, url };
  if (!response?.ok) {
    const answer = response ? `answers ${response.status}` : 'cannot be fetched';
    return pageError(response?.status === 404 ? 'not-found' : 'network', `${option}: ${url} ${answer}; serve the script there or fix the URL`, details);
  }
  if (!/javascript|ecmascript/i.test(type)) {
    return pageError('invalid-argument', `${option}: ${url} is ${type || 'not typed'}, not JavaScript (a bundler or dev server may be rewriting it); point ${option} at the built file`, details);
  }
  return pageError('invalid-argument', `${option}: ${url} did not start (${cause}); check that it is reprise's script, built as its docs say`, details);
}
