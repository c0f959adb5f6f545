import { type CacheEngine, Engine } from './CacheEngine.js';
import { type EngineOptions, resolveOptions } from './options.js';

/**
 * The engine without a worker: for Node, tests, and for running inside your own worker.
 * Options are validated (an `invalid-argument` error names the option); the store is opened and
 * the stored manifest re-verified before this resolves. Nothing is fetched until `sync()`.
 */
export async function createCacheEngine(options: EngineOptions): Promise<CacheEngine> {
  return Engine.open(resolveOptions(options));
}
