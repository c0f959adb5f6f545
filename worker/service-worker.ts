/// <reference lib="webworker" />
// The ready-made service worker: answers `trackUrl(id)` from the offline store. An app with its
// own service worker imports `registerTrackRoute` from 'reprise/service-worker' instead, and
// keeps the lifecycle below (docs/lifecycle.md).
import { registerTrackRoute } from '../src/playback/trackRoute.js';
import { CLAIM_MESSAGE_TYPE } from '../src/worker/lifecycleMessages.js';

declare const self: ServiceWorkerGlobalScope;

// `?db=<dbName>` for an app that changed dbName; `?stall=<ms>` for the bound a response waits for
// a missing chunk (the engine's stallTimeoutMs; default 30 s): e.g. '/sw.js?db=player&stall=15000'.
const params = new URL(self.location.href).searchParams;
const dbName = params.get('db') ?? 'reprise';
const stall = Number(params.get('stall'));
registerTrackRoute({ dbName, ...(stall > 0 ? { stallTimeoutMs: stall } : {}) });

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
