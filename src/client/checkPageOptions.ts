import { pageError } from './pageError.js';

/**
 * Checks what the page itself uses before anything starts (the engine checks its own options):
 * the URLs parse against the page, `openTimeoutMs` is a finite bound, and no option is one only
 * `createCacheEngine()` takes (`fetch`, `clock`, `random`, `indexedDB`) or a function other than
 * `authorize` — each an `invalid-argument` naming the option, not a `TypeError` or a
 * `DataCloneError` from deeper down.
 */
export function checkPageOptions(options: Record<string, unknown>, base: string): void {
  const bad = (path: string, why: string) => pageError('invalid-argument', `options.${path}: ${why}`, { path: `options.${path}` });
  const sw = (options.serviceWorker || {}) as Record<string, unknown>;
  for (const [path, value] of [['manifestUrl', options.manifestUrl], ['workerUrl', options.workerUrl], ['serviceWorker.url', sw.url], ['serviceWorker.scope', sw.scope]]) {
    if (value === undefined) continue;
    try {
      new URL(String(value), base);
    } catch {
      throw bad(path as string, `${String(value)} is not a URL`);
    }
  }
  const ms = options.openTimeoutMs;
  if (ms !== undefined && !((ms as number) > 0 && Number.isFinite(ms))) throw bad('openTimeoutMs', `${String(ms)} is not a finite positive number of milliseconds`);
  for (const [name, value] of Object.entries(options)) {
    if (['fetch', 'clock', 'random', 'indexedDB'].includes(name) || (typeof value === 'function' && name !== 'authorize')) throw bad(name, "createCacheEngine() takes it; the cache worker cannot (it uses the browser's own)");
  }
}
