// The app's service worker: reprise's (which answers __reprise__/track/<id> from the offline
// store) plus the app shell, which is the app's own job: without it a reload offline shows the
// browser's error page. `npm run build` copies reprise's file here first (prebuild).
importScripts('reprise-sw.js');

const SHELL = 'app-shell';

// Install: cache every built file (shell.json is written by vite.config.js).
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const files = await (await fetch('shell.json', { cache: 'no-store' })).json();
    await (await caches.open(SHELL)).addAll(files);
  })());
});

// The shell: network first (a new build shows at once), the cache when the network fails.
// reprise's routes, the manifest and the media are left alone: reprise fetches and verifies them.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.includes('/__reprise__/') || url.pathname.endsWith('.jws') || url.pathname.includes('/media/')) return;
  event.respondWith((async () => {
    const cache = await caches.open(SHELL);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(event.request, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(event.request, { ignoreSearch: true });
      if (cached) return cached;
      if (event.request.mode === 'navigate') return (await cache.match('index.html')) ?? Response.error();
      throw error;
    }
  })());
});
