import { Workbox } from 'workbox-window';
import type { CacheEvents } from '../engine/types.js';
import { CLAIM_MESSAGE_TYPE } from '../worker/lifecycleMessages.js';
import { pageError } from './pageError.js';
import { scriptError } from './scriptError.js';
import { within } from './within.js';

export interface ServiceWorkerOptions {
  /** URL of the service worker script (the ready-made one is `reprise/service-worker.js`). */
  url: string;
  /** Registration scope. Default: the script's directory. */
  scope?: string;
  /** `module` for an ES module service worker. Default `classic`. */
  type?: WorkerType;
}

/** Resolves on the next `controllerchange` of this page. */
export function nextController(): Promise<void> {
  return new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
}

/**
 * Registers the service worker with workbox-window and resolves once it controls this page, so a
 * `trackUrl()` fetched right after never reaches the network (on a first install too). Rejects
 * with a code and the option at fault: a scope that cannot cover the page (before registering),
 * a script that answers 404 (`not-found`) or cannot be registered, a worker that does not take
 * control before `signal` aborts. `onUpdate` hears of a new version waiting, also one that was
 * already waiting when the page loaded.
 */
export async function connectServiceWorker(options: ServiceWorkerOptions, signal: AbortSignal, ms: number, onUpdate: (event: CacheEvents['app-update']) => void): Promise<ServiceWorkerRegistration> {
  const container = navigator.serviceWorker;
  if (!container) {
    throw pageError('invalid-argument', 'options.serviceWorker: this browser (or WebView) has no service workers; pass serviceWorker: false and play with getTrack()', { path: 'options.serviceWorker' });
  }
  const script = new URL(options.url, location.href).href;
  const scope = serviceWorkerScope(options.scope, script, document.baseURI);
  if (!location.href.startsWith(scope)) {
    const option = options.scope === undefined ? 'options.serviceWorker.url' : 'options.serviceWorker.scope';
    throw pageError('invalid-argument', `${option}: the scope ${scope} does not cover this page (${location.href}); serve the service worker from the page's directory or above, or set options.serviceWorker.scope`, { path: option, url: scope });
  }
  const workbox = new Workbox(options.url, { scope: options.scope, type: options.type });
  // A new version waits until the app says so: the app can prompt the listener first.
  workbox.addEventListener('waiting', (e) => onUpdate({ scriptUrl: e.sw?.scriptURL }));
  const path = 'options.serviceWorker.url';
  const failed = (what: string, hint: string) => () => pageError('invalid-argument', `${path}: ${script} ${what} within ${ms} ms; ${hint}raise options.openTimeoutMs on a slow network`, { path, url: script });
  // Chromium and WebKit queue register() behind any other job for the scope — the app's
  // registration.update(), or the update check Chromium starts about 5 s after each page load —
  // and that job lasts as long as the script's fetch (minutes on a captive network). A page this
  // script already controls has what open() waits for: its registration is taken from `ready`
  // then, and register() goes on in the background (a new version still reaches onUpdate).
  const registering = workbox.register({ immediate: true });
  const controlled = container.controller?.scriptURL === script;
  if (controlled) registering.catch(() => {});
  let registration: ServiceWorkerRegistration | undefined;
  try {
    registration = await within(signal, controlled ? Promise.race([registering, container.ready]) : registering, failed('was not registered', ''));
  } catch (error) {
    if ((error as Error).name === 'invalid-argument') throw error;
    throw await scriptError(path, script, String(error));
  }
  if (!registration) throw await scriptError(path, script, 'registration failed');
  if (!container.controller) {
    const controlled = nextController();
    registration.active?.postMessage({ type: CLAIM_MESSAGE_TYPE });
    await within(signal, controlled, failed('did not take control of this page', "a custom service worker must call clients.claim() when it activates and on reprise's claim message (docs/lifecycle.md), or "));
  }
  return registration;
}

/** The scope register() gives a worker: a scope given is relative to the page, the default one (`./`) to the script. */
export function serviceWorkerScope(scope: string | undefined, script: string, base: string): string {
  return (scope === undefined ? new URL('./', script) : new URL(scope, base)).href;
}
