export { createCacheEngine } from './createCacheEngine.js';
export type { CacheEngine } from './CacheEngine.js';
export type { EngineOptions, ThrottleOptions } from './EngineOptions.js';
export type * from './types.js';
export { RESET_KINDS } from './types.js';
export { RepriseError, isRepriseError, ERROR_CODES, type ErrorCode, type ErrorDetails } from '../errors/index.js';
export type { Manifest, ManifestTrack, ManifestPlaylist } from '../manifest/types.js';
export type { PublicJwk } from '../manifest/types.js';
export type { Clock } from '../util/clock.js';
