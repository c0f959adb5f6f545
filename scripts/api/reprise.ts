/**
 * The page client: `import { openOfflineCache } from 'reprise'`. Starts the cache worker,
 * registers the service worker, and returns an {@link OfflineCache}. How the pieces fit:
 * docs/how-it-works.md.
 *
 * @module reprise
 */
export * from '../../src/client/index.js';
