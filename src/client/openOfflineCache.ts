import { transfer } from 'comlink';
import type { CacheEngine } from '../engine/CacheEngine.js';
import type { CacheEvents } from '../engine/types.js';
import { TRACK_PATH } from '../playback/trackPath.js';
import { READER_PORT_MESSAGE, READER_PORT_REQUEST } from '../worker/lifecycleMessages.js';
import { ENGINE_METHODS } from '../tabs/protocol.js';
import { persistence } from './askPersistence.js';
import type { WorkerEngineMethods, WorkerEngineOptions } from '../worker/CacheWorkerApi.js';
import { installErrorTransfer } from '../worker/errorTransfer.js';
import { connectServiceWorker, nextController, type ServiceWorkerOptions } from './connectServiceWorker.js';
import { pageError } from './pageError.js';
import { checkPageOptions } from './checkPageOptions.js';
import { requireOptions } from './requireOptions.js';
import { startCacheWorker } from './startCacheWorker.js';
import { within } from './within.js';

export type { ServiceWorkerOptions };

/** How long `openOfflineCache()` may take before it rejects, unless `openTimeoutMs` says otherwise. */
export const DEFAULT_OPEN_TIMEOUT_MS = 15_000;

export interface OfflineCacheOptions extends WorkerEngineOptions {
  /** The service worker that serves trackUrl(); `false` to play with getTrack() instead (WebViews without service workers). */
  serviceWorker: ServiceWorkerOptions | false;
  /** URL of the cache worker (`reprise/worker`). Default: `cache-worker.js` next to this module. */
  workerUrl?: string | URL;
  /** The bound on `openOfflineCache()` (worker start, engine open, service worker control). Default 15 000 ms. */
  openTimeoutMs?: number;
}

/** The page's handle: the engine's operations, run in the worker, plus the playback URL. */
export interface OfflineCache extends Omit<CacheEngine, 'on'> {
  /** Adds a listener. An `app-update` that is waiting reaches a listener added later, too. */
  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void;
  /** `<service worker scope>__reprise__/track/<id>`; throws `invalid-argument` without a service worker. */
  trackUrl(trackId: string): string;
  /**
   * `leader` when this tab's worker holds the Web Lock `reprise:<dbName>` and runs the engine;
   * `follower` when it hands its calls to the leading tab and re-emits its events. A follower
   * becomes the leader by itself when the leading tab closes; the value is the role at open.
   */
  readonly role: 'leader' | 'follower';
  /** The service worker's registration (from workbox-window), `undefined` with `serviceWorker: false`. */
  readonly registration: ServiceWorkerRegistration | undefined;
  /** A new version of the app's service worker that waits for {@link applyUpdate}, if any. */
  readonly updateWaiting: CacheEvents['app-update'] | undefined;
  /**
   * Activates the waiting service worker and, once it controls the page, reloads the page so the
   * app's code matches it (`{ reload: false }` for apps that reload themselves; then it resolves
   * when the new worker controls the page).
   */
  applyUpdate(options?: { reload?: boolean }): Promise<void>;
}

/**
 * Opens the offline cache: starts the cache worker (the engine runs there, one writer across
 * tabs) and registers the service worker with workbox-window, and resolves once the service
 * worker controls the page. Never hangs: any failure, or `openTimeoutMs` passing, rejects with a
 * stable code naming the URL or option at fault, and leaves no worker or lock behind.
 */
export async function openOfflineCache(options: OfflineCacheOptions): Promise<OfflineCache> {
  requireOptions(options);
  const { serviceWorker, workerUrl, openTimeoutMs = DEFAULT_OPEN_TIMEOUT_MS, ...engineOptions } = options;
  if (serviceWorker !== false && (typeof serviceWorker !== 'object' || typeof serviceWorker.url !== 'string')) {
    throw pageError('invalid-argument', 'options.serviceWorker: give { url } of the service worker, or false to play with getTrack()', { path: 'options.serviceWorker' });
  }
  checkPageOptions(options as unknown as Record<string, unknown>, document.baseURI);
  if (typeof engineOptions.manifestUrl === 'string' && engineOptions.manifestUrl !== '') {
    // Relative to the page, not to the worker script.
    engineOptions.manifestUrl = new URL(engineOptions.manifestUrl, document.baseURI).href;
  }
  installErrorTransfer();
  const listeners = new Map<keyof CacheEvents, Set<(event: never) => void>>();
  const emit = (type: keyof CacheEvents, event: unknown) => listeners.get(type)?.forEach((fn) => fn(event as never));
  let update: CacheEvents['app-update'] | undefined;
  const onUpdate = (event: CacheEvents['app-update']) => emit('app-update', (update = event));

  const signal = AbortSignal.timeout(openTimeoutMs);
  const url = new URL(workerUrl ?? new URL('./cache-worker.js', import.meta.url), document.baseURI);
  const [started, connected] = await Promise.allSettled([
    startCacheWorker(url, engineOptions, (type, event) => emit(type, event), signal, openTimeoutMs),
    serviceWorker ? connectServiceWorker(serviceWorker, signal, openTimeoutMs, onUpdate) : undefined,
  ]);
  if (started.status === 'rejected') throw started.reason;
  if (connected.status === 'rejected') {
    await started.value.stop().catch(() => {});
    throw connected.reason;
  }
  const { api, role, stop } = started.value;
  const registration = connected.value;

  // A direct line between the service worker and this tab's cache worker (ReaderPorts): handed
  // over now, and whenever a service worker without one (restarted, or a new version) asks.
  const dbName = engineOptions.dbName ?? 'reprise';
  const connectReader = () => {
    const controller = navigator.serviceWorker?.controller;
    if (!registration || !controller) return;
    const line = new MessageChannel();
    void api.connectReader(transfer(line.port1, [line.port1])).catch(() => {});
    controller.postMessage({ type: READER_PORT_MESSAGE, dbName }, [line.port2]);
  };
  const onSwMessage = (event: MessageEvent) => {
    if (event.data?.type === 'reprise:playback') void api.playbackReport(event.data.report).catch(() => {});
    else if (event.data?.type === READER_PORT_REQUEST && event.data.dbName === dbName) connectReader();
  };
  navigator.serviceWorker?.addEventListener('message', onSwMessage);
  let closed = false;
  /** Calls sent to the worker and not answered yet: close() settles them. */
  const inFlight = new Set<(error: Error) => void>();
  const call = (m: (typeof ENGINE_METHODS)[number], args: unknown[]) => {
    if (closed) return Promise.reject(pageError('aborted', 'this cache is closed; open a new one'));
    return new Promise<unknown>((resolve, reject) => {
      inFlight.add(reject);
      (api[m] as (...a: unknown[]) => Promise<unknown>)(...args)
        .then(resolve, reject)
        .finally(() => inFlight.delete(reject));
    });
  };
  // The engine's operations, run in the worker. After close() the worker is gone: calls reject
  // with `aborted` instead of hanging, and so do calls it ended without answering.
  const operations = Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as WorkerEngineMethods;
  const askPersistence = persistence();
  connectReader();
  return {
    ...operations,
    async setOffline(playlistId, offline, options) {
      await operations.setOffline(playlistId, offline, options);
      // Not awaited: Firefox answers persist() only when the user answers its permission prompt.
      if (offline === true) void askPersistence();
    },
    role,
    registration,
    get updateWaiting() {
      return update;
    },
    on(type, listener) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      const fn = listener as (event: never) => void;
      set.add(fn);
      // An update found before this listener existed (even before open resolved) still reaches it.
      if (type === 'app-update' && update) queueMicrotask(() => set.has(fn) && fn(update as never));
      return () => void set.delete(fn);
    },
    trackUrl(trackId) {
      if (!registration) throw pageError('invalid-argument', 'trackUrl() needs a service worker; with serviceWorker: false, play getTrack() through an object URL', { path: 'trackId' });
      return `${registration.scope}${TRACK_PATH}${encodeURIComponent(trackId)}`;
    },
    async applyUpdate({ reload = true } = {}) {
      const waiting = registration?.waiting;
      if (waiting) {
        const controlled = nextController();
        waiting.postMessage({ type: 'SKIP_WAITING' });
        await within(AbortSignal.timeout(openTimeoutMs), controlled, () => pageError('aborted', `the waiting service worker did not take control within ${openTimeoutMs} ms; a custom service worker must call skipWaiting() on { type: 'SKIP_WAITING' }`));
      }
      // Another tab may have applied it already: this page's code is still the old one.
      if (reload && (waiting || update)) location.reload();
    },
    async close() {
      if (closed) return;
      closed = true;
      navigator.serviceWorker?.removeEventListener('message', onSwMessage);
      listeners.clear();
      try {
        await stop();
      } finally {
        const ended = pageError('aborted', 'the call was in flight when this cache was closed; open a new one');
        for (const reject of inFlight) reject(ended);
        inFlight.clear();
      }
    },
  };
}
