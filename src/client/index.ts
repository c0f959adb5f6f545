export { openOfflineCache, DEFAULT_OPEN_TIMEOUT_MS, type OfflineCache, type OfflineCacheOptions, type ServiceWorkerOptions } from './openOfflineCache.js';
export type * from '../engine/types.js';
export { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
export { isRepriseError } from '../errors/isRepriseError.js';
export type { ThrottleOptions } from '../engine/EngineOptions.js';
export type { PublicJwk } from '../manifest/types.js';
