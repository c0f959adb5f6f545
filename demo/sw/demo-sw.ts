/// <reference lib="webworker" />
// The demo app's service worker: reprise's ready-made one (it answers trackUrl() from the
// offline store) plus the app shell, so a reload with the server down opens the app, not the
// browser's error page. Shell files are network-first: fresh when the server is up.
declare const self: ServiceWorkerGlobalScope;
export {};

self.importScripts('/reprise/service-worker.js');

const SHELL_CACHE = 'reprise-demo-shell-v1';
const SHELL = ['/', '/app.js', '/style.css', '/config.json', '/api/catalog', '/reprise/client.js', '/reprise/cache-worker.js'];
const isShell = (url: URL) => url.origin === self.location.origin && (SHELL.includes(url.pathname) || url.pathname.startsWith('/cover/'));

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !isShell(url)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      const key = url.pathname; // one entry per path: the shell has no query strings
      try {
        const response = await fetch(event.request, { signal: AbortSignal.timeout(4000) });
        if (response.ok) await cache.put(key, response.clone());
        return response;
      } catch (error) {
        const cached = await cache.match(key);
        if (cached) return cached;
        throw error;
      }
    })(),
  );
});
