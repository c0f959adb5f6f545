import { type Remote, proxy, releaseProxy, wrap } from 'comlink';
import type { CacheWorkerApi, WorkerEngineOptions, WorkerEventListener } from '../worker/CacheWorkerApi.js';
import { WORKER_HELLO } from '../worker/lifecycleMessages.js';
import { pageError } from './pageError.js';
import { scriptError } from './scriptError.js';
import { within } from './within.js';

export interface StartedWorker {
  api: Remote<CacheWorkerApi>;
  role: 'leader' | 'follower';
  /** Closes the engine (releasing the Web Lock) and ends the worker. */
  stop(): Promise<void>;
}

/**
 * Starts the cache worker and opens the engine in it. Rejects — and leaves no worker behind — when
 * the script does not load (404, not JavaScript, not a module: `not-found` / `invalid-argument`
 * naming `options.workerUrl`), when it is not reprise's worker (no hello before `signal` aborts),
 * when the engine cannot open (its own error, e.g. a trusted key that cannot be imported), or when
 * opening outlasts `signal` (`aborted`).
 */
export async function startCacheWorker(url: URL, options: WorkerEngineOptions, listener: WorkerEventListener, signal: AbortSignal, ms: number): Promise<StartedWorker> {
  let worker: Worker;
  try {
    worker = new Worker(url, { type: 'module', name: 'reprise' });
  } catch (error) {
    throw pageError('invalid-argument', `options.workerUrl: ${url} cannot start a worker (${String(error)})`, { path: 'options.workerUrl', url: url.href });
  }
  const api = wrap<CacheWorkerApi>(worker);
  const end = () => {
    api[releaseProxy]();
    worker.terminate();
  };
  try {
    const loaded = new Promise<void>((resolve, reject) => {
      worker.addEventListener('message', (e) => e.data === WORKER_HELLO && resolve());
      worker.addEventListener('error', (e) => reject(e), { once: true });
    });
    await within(
      signal,
      loaded.catch(async (e: Event) => Promise.reject(await scriptError('options.workerUrl', url.href, (e as ErrorEvent).message || 'a load or evaluation error'))),
      () => pageError('invalid-argument', `options.workerUrl: ${url} did not answer as reprise's cache worker within ${ms} ms; serve reprise/worker (cache-worker.js) there, or raise options.openTimeoutMs on a slow network`, { path: 'options.workerUrl', url: url.href }),
    );
    // Functions do not clone: the app's authorize hook crosses as a comlink proxy (it runs here, on the page).
    const { authorize, ...rest } = options;
    const { role } = await within(signal, api.open(rest, proxy(listener), authorize && proxy(authorize)), () =>
      pageError('aborted', `the offline store did not open within ${ms} ms (another tab may keep an older version of it open); close other tabs of the app or raise options.openTimeoutMs`, { path: 'options.openTimeoutMs' }),
    );
    const stop = async () => {
      const late = new Error('late');
      try {
        // An engine that does not answer in time (a call stuck on the network) is ended all the
        // same: close() settles, and ending the worker also releases its lock and its store.
        await within(AbortSignal.timeout(ms), api.close(), () => late).catch((error: unknown) => {
          if (error !== late) throw error;
        });
      } finally {
        end();
      }
    };
    return { api, role, stop };
  } catch (error) {
    end();
    throw error;
  }
}
