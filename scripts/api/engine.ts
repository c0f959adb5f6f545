/**
 * The engine without a worker, for Node, tests and an app's own worker:
 * `import { createCacheEngine } from 'reprise/engine'`. The same operations as the page's
 * `OfflineCache`, plus the options that cannot cross into a worker (`indexedDB`, `fetch`,
 * `clock`, `random`). In Node, give it an IndexedDB (fake-indexeddb, for instance).
 *
 * @module reprise/engine
 */
export * from '../../src/engine/index.js';
