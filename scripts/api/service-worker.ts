/**
 * The track route for an app's own service worker:
 * `import { registerTrackRoute } from 'reprise/service-worker'`. The ready-made service worker
 * (`reprise/service-worker.js`) is this route plus first-install activation and
 * `SKIP_WAITING` handling.
 *
 * @module reprise/service-worker
 */
export * from '../../src/playback/index.js';
