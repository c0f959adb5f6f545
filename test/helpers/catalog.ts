import { createCipheriv, createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { CompactSign, importJWK } from 'jose';
import { generateKeys, type KeyPairJwks } from '../../src/cli/keys.js';
import { createCacheEngine, type CacheEngine, type EngineOptions } from '../../src/engine/index.js';
import type { Manifest } from '../../src/manifest/schema.js';
import type { TestOrigin } from './origin.js';

export const CHUNK = 64 * 1024;

const keyCache = new Map<string, Promise<KeyPairJwks>>();
/** A key pair per name, generated once per test file. */
export function key(kid: string): Promise<KeyPairJwks> {
  if (!keyCache.has(kid)) keyCache.set(kid, generateKeys(kid));
  return keyCache.get(kid)!;
}

/** Deterministic bytes: the same (seed, size) always gives the same file. */
export function bytesOf(seed: string, size: number): Buffer {
  // AES-128-CTR over zeros, keyed by the seed: a fast, deterministic byte stream.
  const keyAndIv = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', keyAndIv.subarray(0, 16), keyAndIv.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export function chunkDigests(body: Buffer, chunkSize = CHUNK): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i += chunkSize) out.push(createHash('sha256').update(body.subarray(i, i + chunkSize)).digest('base64url'));
  return out;
}

export interface TrackSpec {
  id: string;
  body: Buffer;
  path?: string;
  chunkSize?: number;
}

export interface PublishOptions {
  tracks: TrackSpec[];
  playlists: { id: string; trackIds: string[]; offline?: boolean; name?: string }[];
  epoch?: number;
  kid?: string;
  /** Merged into the payload after it is built (to break it on purpose). */
  patch?: (m: Record<string, unknown>) => void;
  alg?: string;
  manifestPath?: string;
}

/** Builds a manifest for files put on the origin, signs it, and serves it at /manifest.jws. */
export async function publish(origin: TestOrigin, options: PublishOptions): Promise<{ manifest: Manifest; jws: string }> {
  const manifest: Manifest = {
    format: 'reprise-manifest/1',
    securityEpoch: options.epoch ?? 1,
    issuedAt: new Date().toISOString(),
    playlists: options.playlists.map((p) => ({ id: p.id, name: p.name ?? p.id, trackIds: [...p.trackIds], ...(p.offline !== undefined ? { offline: p.offline } : {}) })),
    tracks: options.tracks.map((t) => {
      const path = t.path ?? `/media/${t.id}.mp3`;
      origin.put(path, t.body);
      const chunkSize = t.chunkSize ?? CHUNK;
      return { id: t.id, url: path.slice(1), mimeType: 'audio/mpeg', size: t.body.length, chunkSize, chunks: chunkDigests(t.body, chunkSize), title: t.id };
    }),
  };
  options.patch?.(manifest as unknown as Record<string, unknown>);
  const jws = await sign(manifest, options.kid ?? 'k1', options.alg);
  origin.put(options.manifestPath ?? '/manifest.jws', jws, 'application/jose');
  return { manifest, jws };
}

export async function sign(payload: unknown, kid: string, alg = 'ES256'): Promise<string> {
  const keys = await key(kid);
  const privateKey = await importJWK(keys.privateJwk, 'ES256');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid }).sign(privateKey);
}

export async function openEngine(origin: TestOrigin, options: Partial<EngineOptions> & { kids?: string[] } = {}): Promise<CacheEngine & { factory: IDBFactory }> {
  const { kids = ['k1'], ...rest } = options;
  const trustedKeys = await Promise.all(kids.map(async (k) => (await key(k)).publicJwk));
  const factory = (rest.indexedDB as IDBFactory | undefined) ?? new IDBFactory();
  const engine = await createCacheEngine({ manifestUrl: `${origin.url}/manifest.jws`, trustedKeys: trustedKeys as never, indexedDB: factory, ...rest });
  return Object.assign(engine, { factory });
}

/** Collects every event of a type. */
export function record<T>(engine: CacheEngine, type: Parameters<CacheEngine['on']>[0]): T[] {
  const seen: T[] = [];
  engine.on(type, (e) => seen.push(e as T));
  return seen;
}
