import { type Remote, proxy, releaseProxy, wrap } from 'comlink';
import { Workbox } from 'workbox-window';
import type { CacheEngine } from '../engine/CacheEngine.js';
import type { CacheEvents } from '../engine/types.js';
import { TRACK_PATH } from '../playback/trackPath.js';
import { ENGINE_METHODS } from '../tabs/protocol.js';
import type { CacheWorkerApi, WorkerEngineMethods, WorkerEngineOptions } from '../worker/CacheWorkerApi.js';
import { installErrorTransfer } from '../worker/errorTransfer.js';
import { pageError } from './pageError.js';

export interface ServiceWorkerOptions {
  /** URL of the service worker script (the ready-made one is `reprise/service-worker.js`). */
  url: string;
  /** Registration scope. Default: the script's directory. */
  scope?: string;
  /** `module` for an ES module service worker. Default `classic`. */
  type?: WorkerType;
}

export interface OfflineCacheOptions extends WorkerEngineOptions {
  /** The service worker that serves trackUrl(); `false` to play with getTrack() instead (WebViews without service workers). */
  serviceWorker: ServiceWorkerOptions | false;
  /** URL of the cache worker (`reprise/worker`). Default: `cache-worker.js` next to this module. */
  workerUrl?: string | URL;
}

/** The page's handle: the engine's operations, run in the worker, plus the playback URL. */
export interface OfflineCache extends Omit<CacheEngine, 'on'> {
  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void;
  /** `<service worker scope>__reprise__/track/<id>`; throws `invalid-argument` without a service worker. */
  trackUrl(trackId: string): string;
  /** Whether this tab's worker runs the engine or hands its calls to the tab that does. */
  readonly role: 'leader' | 'follower';
  /** The service worker registration, when there is one. */
  readonly registration: ServiceWorkerRegistration | undefined;
  /** Activates a waiting service worker (after an `app-update` event); the page should reload. */
  applyUpdate(): void;
}

/**
 * Opens the offline cache: starts the cache worker (the engine runs there, one writer across
 * tabs), registers the service worker with workbox-window, and forwards events. Options are
 * validated in the worker; a bad one rejects with `invalid-argument` naming it.
 */
export async function openOfflineCache(options: OfflineCacheOptions): Promise<OfflineCache> {
  const { serviceWorker, workerUrl, ...engineOptions } = options ?? ({} as OfflineCacheOptions);
  if (serviceWorker !== false && (typeof serviceWorker !== 'object' || serviceWorker === null || typeof serviceWorker.url !== 'string')) {
    throw pageError('invalid-argument', 'options.serviceWorker: give { url } of the service worker, or false to play with getTrack()', 'options.serviceWorker');
  }
  if (typeof engineOptions.manifestUrl === 'string' && engineOptions.manifestUrl !== '') {
    // Relative to the page, not to the worker script.
    engineOptions.manifestUrl = new URL(engineOptions.manifestUrl, document.baseURI).href;
  }
  installErrorTransfer();
  const listeners = new Map<keyof CacheEvents, Set<(event: never) => void>>();
  const emit = (type: keyof CacheEvents, event: unknown) => listeners.get(type)?.forEach((fn) => fn(event as never));

  const worker = new Worker(workerUrl ?? new URL('./cache-worker.js', import.meta.url), { type: 'module', name: 'reprise' });
  const api: Remote<CacheWorkerApi> = wrap<CacheWorkerApi>(worker);
  let role: 'leader' | 'follower';
  try {
    ({ role } = await api.open(engineOptions, proxy((type, event) => emit(type, event))));
  } catch (error) {
    worker.terminate();
    throw error;
  }

  let registration: ServiceWorkerRegistration | undefined;
  let workbox: Workbox | undefined;
  const onSwMessage = (event: MessageEvent) => {
    if (event.data?.type === 'reprise:playback') void api.playbackReport(event.data.report).catch(() => {});
  };
  if (serviceWorker) {
    if (!('serviceWorker' in navigator)) {
      throw pageError('invalid-argument', 'this browser (or WebView) has no service workers: pass serviceWorker: false and play with getTrack()', 'options.serviceWorker');
    }
    workbox = new Workbox(serviceWorker.url, { scope: serviceWorker.scope, type: serviceWorker.type });
    // A new version waits until the app says so: the app can prompt the listener first.
    workbox.addEventListener('waiting', (e) => emit('app-update', { scriptUrl: e.sw?.scriptURL }));
    navigator.serviceWorker.addEventListener('message', onSwMessage);
    registration = await workbox.register();
    await navigator.serviceWorker.ready;
  }

  const scope = registration?.scope;
  let closed = false;
  // The engine's operations, run in the worker. After close() the worker is gone: calls reject
  // with `aborted` instead of hanging.
  const operations = Object.fromEntries(
    ENGINE_METHODS.map((m) => [
      m,
      (...args: unknown[]) =>
        closed ? Promise.reject(pageError('aborted', 'this cache is closed; open a new one')) : (api[m] as (...a: unknown[]) => Promise<unknown>)(...args),
    ]),
  ) as unknown as WorkerEngineMethods;
  const cache: OfflineCache = {
    ...operations,
    role,
    registration,
    on(type, listener) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener as (event: never) => void);
      return () => void set.delete(listener as (event: never) => void);
    },
    trackUrl(trackId) {
      if (!scope) throw pageError('invalid-argument', 'trackUrl() needs a service worker; with serviceWorker: false, play getTrack() through an object URL', 'trackId');
      return `${scope}${TRACK_PATH}${encodeURIComponent(trackId)}`;
    },
    applyUpdate() {
      workbox?.messageSkipWaiting();
    },
    async close() {
      if (closed) return;
      closed = true;
      navigator.serviceWorker?.removeEventListener('message', onSwMessage);
      try {
        await api.close();
      } finally {
        api[releaseProxy]();
        worker.terminate();
        listeners.clear();
      }
    },
  };
  return cache;
}
