import * as z from 'zod/mini';
import { RepriseError } from '../errors/RepriseError.js';
import { DEFAULT_LIMITS } from '../manifest/limits.js';
import type { Authorize } from '../manifest/v2/requestDocument.js';
import { boundAuthorize } from './boundAuthorize.js';
import { publicJwkSchema } from '../manifest/trustedKeys.js';
import { DEFAULT_BACKOFF } from '../scheduler/backoff.js';
import { type Clock, systemClock } from '../util/clock.js';
import { describeZodError } from '../util/describeZodError.js';

/** docs/how-it-works.md: `maxConcurrent` defaults to 3. */
export const DEFAULT_MAX_CONCURRENT = 3;
/** A request that delivers no body bytes for this long is aborted and retried. */
export const DEFAULT_STALL_MS = 30_000;

const originSchema = z.string().check(z.refine(
  (s: string) => {
    try {
      const url = new URL(s);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  },
  'must be an http(s) origin such as "https://cdn.example"',
));

export const throttleSchema = z.object({
  /** Requests in flight at once (1–32). Default 3. */
  maxConcurrent: z.optional(z.int().check(z.minimum(1), z.maximum(32))),
  /** Body bytes per second over all requests. Default: no cap. */
  bytesPerSecond: z.optional(z.number().check(z.positive())),
});

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `must be a function (${what})`);

/** Options of {@link createCacheEngine}; the page's `openOfflineCache` takes the same plus its own. */
export const engineOptionsSchema = z.object({
  /** Where the signed manifest is served. Relative URLs resolve against the page (or worker) location. */
  manifestUrl: z.string().check(z.minLength(1)),
  /** ES256 public keys (JWK with `kid`) the app trusts to sign manifests. Never from the network. */
  trustedKeys: z.array(publicJwkSchema).check(z.minLength(1, 'must hold at least one ES256 public key')),
  /** The security epoch compiled into this app build; manifests below it are rollbacks. */
  appSecurityEpoch: z.optional(z.int().check(z.minimum(0))),
  /** Key ids this build no longer trusts. */
  revokedKeyIds: z.optional(z.array(z.string().check(z.minLength(1)))),
  /** Extra origins track URLs may point to (the manifest's own origin is always allowed). */
  allowedOrigins: z.optional(z.array(originSchema)),
  throttle: z.optional(throttleSchema),
  /** Retry policy for transient failures. */
  backoff: z.optional(
    z.object({
      baseMs: z.optional(z.number().check(z.positive())),
      capMs: z.optional(z.number().check(z.positive())),
      attempts: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
    }),
  ),
  /** Abort and retry a request that delivers no bytes for this long. Default 30 s. */
  stallTimeoutMs: z.optional(z.number().check(z.positive())),
  /**
   * A storage budget for offline content, in bytes. When the offline playlists need more, the
   * least recently used ones that are not pinned are released first.
   */
  maxBytes: z.optional(z.number().check(z.positive())),
  /** Bounds on what a manifest may ask for. */
  limits: z.optional(
    z.object({
      maxManifestBytes: z.optional(z.int().check(z.positive())),
      maxRootBytes: z.optional(z.int().check(z.positive())),
      maxPartBytes: z.optional(z.int().check(z.positive())),
      maxTracks: z.optional(z.int().check(z.positive())),
      maxTrackBytes: z.optional(z.int().check(z.positive())),
    }),
  ),
  /** IndexedDB database name. Default "reprise". Two apps on one origin need two names. */
  dbName: z.optional(z.string().check(z.minLength(1))),
  /** `credentials` for manifest and media requests. Default "same-origin". */
  credentials: z.optional(z.enum(['omit', 'same-origin', 'include'])),
  /** IndexedDB factory. Default: `globalThis.indexedDB` (pass fake-indexeddb in Node). */
  indexedDB: z.optional(z.custom<IDBFactory>((v) => typeof v === 'object' && v !== null && typeof (v as IDBFactory).open === 'function', 'must be an IDBFactory')),
  /** fetch implementation. Default: `globalThis.fetch`. */
  fetch: z.optional(fn<typeof fetch>('like fetch')),
  /** Time source and sleeps, for exact tests. */
  clock: z.optional(
    z.custom<Clock>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function' && typeof (v as Clock).sleep === 'function',
      'must have now() and sleep(ms, signal)',
    ),
  ),
  /** Uniform random numbers in [0, 1), for the reset window and jitter. Default Math.random. */
  random: z.optional(fn<() => number>('returning [0, 1)')),
  /**
   * Called before every manifest and media request: returns headers to add (a bearer token) or a
   * URL to use instead (a signed URL), or nothing. See docs/authenticated-media.md.
   */
  authorize: z.optional(fn<Authorize>('returning { url?, headers? } or nothing')),
});

export type { EngineOptions, ThrottleOptions } from './EngineOptions.js';
/** What the schemas accept (test/unit/engine/EngineOptions.test.ts holds these equal to EngineOptions.ts). */
export type ParsedEngineOptions = z.input<typeof engineOptionsSchema>;
export type ParsedThrottleOptions = z.input<typeof throttleSchema>;

export type { ResolvedOptions } from './EngineOptions.js';
import type { ResolvedOptions } from './EngineOptions.js';

export function parseOrThrow<S extends z.ZodMiniType>(schema: S, value: unknown, root: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { message, path } = describeZodError(parsed.error, root);
    throw new RepriseError('invalid-argument', message, { path });
  }
  return parsed.data;
}

export function resolveOptions(input: unknown): ResolvedOptions {
  const o = parseOrThrow(engineOptionsSchema, input, 'options');
  let manifestUrl: string;
  try {
    manifestUrl = new URL(o.manifestUrl, (globalThis as { location?: { href: string } }).location?.href).href;
  } catch {
    throw new RepriseError('invalid-argument', `options.manifestUrl: "${o.manifestUrl}" is not an absolute URL (in Node, give the full URL)`, { path: 'options.manifestUrl' });
  }
  const indexedDB = o.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!indexedDB) throw new RepriseError('invalid-argument', 'options.indexedDB: this environment has no indexedDB; pass one (fake-indexeddb in Node)', { path: 'options.indexedDB' });
  const fetchImpl = o.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!fetchImpl) throw new RepriseError('invalid-argument', 'options.fetch: this environment has no fetch; pass one', { path: 'options.fetch' });
  return {
    manifestUrl,
    trustedKeys: o.trustedKeys,
    appSecurityEpoch: o.appSecurityEpoch ?? 0,
    revokedKeyIds: o.revokedKeyIds ?? [],
    allowedOrigins: (o.allowedOrigins ?? []).map((s) => new URL(s).origin),
    throttle: { maxConcurrent: o.throttle?.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, bytesPerSecond: o.throttle?.bytesPerSecond ?? Infinity },
    backoff: { ...DEFAULT_BACKOFF, ...stripUndefined(o.backoff ?? {}) },
    stallTimeoutMs: o.stallTimeoutMs ?? DEFAULT_STALL_MS,
    maxBytes: o.maxBytes ?? Infinity,
    limits: { ...DEFAULT_LIMITS, ...stripUndefined(o.limits ?? {}) },
    dbName: o.dbName ?? 'reprise',
    credentials: o.credentials ?? 'same-origin',
    indexedDB,
    fetch: fetchImpl,
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
    authorize: boundAuthorize(o.authorize),
  };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
