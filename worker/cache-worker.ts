// The cache worker: a module Web Worker running the engine, exposed with comlink.
// Page side: `openOfflineCache()` starts it; apps only need to serve this file.
import { expose } from 'comlink';
import { createCacheWorkerApi } from '../src/worker/CacheWorkerApi.js';
import { installErrorTransfer } from '../src/worker/errorTransfer.js';

installErrorTransfer();
expose(createCacheWorkerApi());
