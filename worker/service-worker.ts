/// <reference lib="webworker" />
// The ready-made service worker: answers `trackUrl(id)` from the offline store. An app with its
// own service worker imports `registerTrackRoute` from 'reprise/service-worker' instead.
import { registerTrackRoute } from '../src/playback/trackRoute.js';

declare const self: ServiceWorkerGlobalScope;

const dbName = new URL(self.location.href).searchParams.get('db') ?? 'reprise';
registerTrackRoute({ dbName });

// The first install takes control at once, so offline playback works without a reload. Later
// versions wait: the page gets `app-update` and decides when to switch (workbox-window's
// messageSkipWaiting() sends SKIP_WAITING).
self.addEventListener('install', (event) => {
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then(async () => {
      if (!self.registration.active) await self.skipWaiting();
    }),
  );
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});
