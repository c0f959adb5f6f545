import type { CacheEngine, LeadingEngine } from './CacheEngine.js';
import { Engine } from './Engine.js';
import type { EngineOptions } from './EngineOptions.js';
import type { ResolvedOptions } from './EngineOptions.js';
import { resolveOptions } from './options.js';

/**
 * The engine without a worker: for Node, tests, and for running inside your own worker.
 * Options are validated (an `invalid-argument` error names the option); the store is opened and
 * the stored manifest re-verified before this resolves. Nothing is fetched until `sync()`.
 */
export async function createCacheEngine(options: EngineOptions): Promise<CacheEngine> {
  return Engine.open(resolveOptions(options));
}

/** The writing engine for options already resolved (the worker's leading tab). */
export function openLeadingEngine(options: ResolvedOptions): Promise<LeadingEngine> {
  return Engine.open(options);
}
