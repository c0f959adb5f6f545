export { openOfflineCache, type OfflineCache, type OfflineCacheOptions, type ServiceWorkerOptions } from './openOfflineCache.js';
export type * from '../engine/types.js';
export type { ErrorCode } from '../errors/codes.js';
export type { ThrottleOptions } from '../engine/options.js';
export type { PublicJwk } from '../manifest/trustedKeys.js';
