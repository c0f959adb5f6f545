// The cache worker: a module Web Worker running the engine, exposed with comlink.
// Page side: `openOfflineCache()` starts it; apps only need to serve this file.
import { expose } from 'comlink';
import { createCacheWorkerApi } from '../src/worker/CacheWorkerApi.js';
import { installErrorTransfer } from '../src/worker/errorTransfer.js';
import { WORKER_HELLO } from '../src/worker/lifecycleMessages.js';

installErrorTransfer();
expose(createCacheWorkerApi());
// The page waits for this before it opens the engine: a URL that serves something else times out.
postMessage(WORKER_HELLO);
