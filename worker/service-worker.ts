/// <reference lib="webworker" />
// The ready-made service worker: answers `trackUrl(id)` from the offline store. An app with its
// own service worker imports `registerTrackRoute` from 'reprise/service-worker' instead, and
// keeps the lifecycle below (docs/lifecycle.md).
import { registerTrackRoute } from '../src/playback/trackRoute.js';
import { CLAIM_MESSAGE_TYPE } from '../src/worker/lifecycleMessages.js';

declare const self: ServiceWorkerGlobalScope;

const dbName = new URL(self.location.href).searchParams.get('db') ?? 'reprise';
registerTrackRoute({ dbName });

// The first install takes control at once (skipWaiting, then clients.claim() on activate):
// openOfflineCache() resolves only once this worker controls the page. Later versions wait: the
// page gets `app-update` and decides when to switch (applyUpdate() sends SKIP_WAITING).
self.addEventListener('install', (event) => {
  if (!self.registration.active) event.waitUntil(self.skipWaiting());
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const type = (event.data as { type?: string } | null)?.type;
  if (type === 'SKIP_WAITING') event.waitUntil(self.skipWaiting());
  // A page loaded with a hard reload is not controlled; openOfflineCache() asks for it.
  if (type === CLAIM_MESSAGE_TYPE) event.waitUntil(self.clients.claim());
});
