/**
 * The cache worker. `reprise/worker` resolves to the worker script itself
 * (`dist/browser/cache-worker.js`), which exposes a {@link CacheWorkerApi} over comlink; the
 * page client starts it, so an app only serves the file (see docs/bundlers.md). The types
 * below describe the page ↔ worker contract, for an app that talks to the worker itself.
 *
 * @module reprise/worker
 */
export * from '../../src/worker/CacheWorkerApi.js';
