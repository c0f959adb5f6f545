// The engine's options as plain interfaces (no schema library in the package's types);
// test/unit/engine/EngineOptions.test.ts holds them equal to what options.ts accepts.
import type { Authorize } from '../manifest/v2/requestDocument.js';
import type { BoundAuthorize } from './boundAuthorize.js';
import type { ManifestLimits } from '../manifest/limits.js';
import type { PublicJwk } from '../manifest/types.js';
import type { Clock } from '../util/clock.js';

export interface ThrottleOptions {
  /** Requests in flight at once (1–32). Default 3. */
  maxConcurrent?: number | undefined;
  /** Body bytes per second over all requests, measured at the origin. Default: no cap. */
  bytesPerSecond?: number | undefined;
}

/** Options of `createCacheEngine`; the page's `openOfflineCache` takes the same (less indexedDB, fetch, clock, random) plus its own. */
export interface EngineOptions {
  /** Where the signed manifest is served. Relative URLs resolve against the page (or worker) location. */
  manifestUrl: string;
  /** ES256 public keys (JWK with `kid`) the app trusts to sign manifests. Never from the network. */
  trustedKeys: PublicJwk[];
  /** The security epoch compiled into this app build; manifests below it are rollbacks. */
  appSecurityEpoch?: number | undefined;
  /** Key ids this build no longer trusts. */
  revokedKeyIds?: string[] | undefined;
  /** Extra origins track URLs may point to (the manifest's own origin is always allowed). */
  allowedOrigins?: string[] | undefined;
  throttle?: ThrottleOptions | undefined;
  /** Retry policy for transient failures (full jitter). Defaults: base 1 s, cap 5 min, 6 attempts. */
  backoff?: { baseMs?: number | undefined; capMs?: number | undefined; attempts?: number | undefined } | undefined;
  /** Abort and retry a request that gets no answer (status and headers), or no body bytes, for this long. Default 30 s. */
  stallTimeoutMs?: number | undefined;
  /** Most bytes of content to keep; the least recently used playlists that are not pinned are released first. */
  maxBytes?: number | undefined;
  /** Bounds on what a manifest may ask for (decompressed bytes). */
  limits?:
    | {
        maxManifestBytes?: number | undefined;
        maxRootBytes?: number | undefined;
        maxPartBytes?: number | undefined;
        maxTracks?: number | undefined;
        maxTrackBytes?: number | undefined;
      }
    | undefined;
  /** IndexedDB database name. Default "reprise". Two apps on one origin need two names. */
  dbName?: string | undefined;
  /** `credentials` for manifest and media requests. Default "same-origin". */
  credentials?: 'omit' | 'same-origin' | 'include' | undefined;
  /** IndexedDB factory. Default: `globalThis.indexedDB` (pass fake-indexeddb in Node). */
  indexedDB?: IDBFactory | undefined;
  /** fetch implementation. Default: `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Time source and sleeps, for exact tests. */
  clock?: Clock | undefined;
  /** Uniform random numbers in [0, 1), for the reset window and jitter. Default Math.random. */
  random?: (() => number) | undefined;
  /**
   * Called before every manifest and media request: returns headers to add (a bearer token) or a
   * URL to use instead (a signed URL), or nothing. See docs/authenticated-media.md.
   */
  authorize?: Authorize | undefined;
}

/** The options with every default filled in and checked (what the engine runs with). */
export interface ResolvedOptions {
  manifestUrl: string;
  trustedKeys: PublicJwk[];
  appSecurityEpoch: number;
  revokedKeyIds: string[];
  allowedOrigins: string[];
  throttle: { maxConcurrent: number; bytesPerSecond: number };
  backoff: { baseMs: number; capMs: number; attempts: number };
  stallTimeoutMs: number;
  maxBytes: number;
  limits: ManifestLimits;
  dbName: string;
  credentials: RequestCredentials;
  indexedDB: IDBFactory;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  /** The app's hook, bounded in time (boundAuthorize); undefined when the app gave none. */
  authorize: BoundAuthorize | undefined;
}
