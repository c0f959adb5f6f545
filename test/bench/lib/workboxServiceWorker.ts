// The baseline service worker for the seek line: Cache Storage with workbox-range-requests, the
// way a Workbox app serves a cached track (RangeRequestsPlugin calls createPartialResponse on the
// cached response). Scope /wb/: its own page (/wb/index.html) is controlled by it, not by reprise's.
import { createPartialResponse } from 'workbox-range-requests';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (!url.pathname.startsWith('/wb/media/')) return;
  event.respondWith(
    (async () => {
      const cached = await (await caches.open('wb')).match(url.pathname);
      if (!cached) return fetch(event.request);
      return event.request.headers.has('range') ? createPartialResponse(event.request, cached) : cached;
    })(),
  );
});
