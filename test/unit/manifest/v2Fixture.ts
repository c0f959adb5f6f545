import { createHash } from 'node:crypto';
import type { ManifestPlaylist } from '../../../src/manifest/schema.js';
import type { ManifestTrackV2 } from '../../../src/manifest/v2/partSchema.js';
import { type PublicJwk, importTrustedKeys } from '../../../src/manifest/trustedKeys.js';
import type { RootVerifyContext } from '../../../src/manifest/v2/verifyRoot.js';
import { type AssembleOptions, assembleManifest } from '../../../src/publish/assembleManifest.js';
import { createSigner } from '../../../src/publish/createSigner.js';
import { DigestIndex } from '../../../src/publish/DigestIndex.js';
import { digestFromChunks } from '../../../src/publish/digestFile.js';
import { key } from '../../helpers/catalog.js';

export const MANIFEST_URL = 'https://music.example/u/42/manifest.jws';
export const ORIGIN = 'https://music.example';

const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

/** A digest index of `n` synthetic media files (3–9 MB, 256 KiB chunks), keyed m0…m(n-1). */
export function mediaIndex(n: number, seed = 'v1'): DigestIndex {
  const index = new DigestIndex();
  for (let i = 0; i < n; i++) {
    const chunkSize = 256 * 1024;
    const size = 3_000_000 + ((i * 7919) % 6_000_000);
    const chunks = Array.from({ length: Math.ceil(size / chunkSize) }, (_, c) => digest(`${seed}:${i}:${c}`));
    index.add(`m${i}`, { ...digestFromChunks(size, chunkSize, chunks), url: `/media/m${i}.mp3`, mimeType: 'audio/mpeg', title: `Track ${i}` });
  }
  return index;
}

/** A library of `n` tracks t0… from the index and `playlists` playlists spread over them. */
export function library(index: DigestIndex, n = index.size, playlists = 3): { tracks: ManifestTrackV2[]; playlists: ManifestPlaylist[] } {
  const tracks = Array.from({ length: n }, (_, i) => index.track(`t${i}`, `m${i % index.size}`));
  return {
    tracks,
    playlists: Array.from({ length: playlists }, (_, p) => ({ id: `p${p}`, name: `Playlist ${p}`, trackIds: tracks.filter((_, i) => i % playlists === p).map((t) => t.id) })),
  };
}

export async function signerFor(kid = 'k1') {
  return createSigner({ privateJwk: (await key(kid)).privateJwk });
}

export async function verifyContext(overrides: Partial<RootVerifyContext> = {}): Promise<RootVerifyContext> {
  return {
    trustedKeys: await importTrustedKeys([(await key('k1')).publicJwk as unknown as PublicJwk, (await key('k2')).publicJwk as unknown as PublicJwk]),
    revokedKeyIds: new Set(),
    minEpoch: 0,
    now: Date.parse('2026-11-29T09:00:00Z'),
    ...overrides,
  };
}

export interface Served {
  body: Uint8Array | string;
  status?: number;
  headers?: Record<string, string>;
  /** The final URL after redirects, as `Response.url` reports it. */
  redirectedTo?: string;
}

/** A fake origin for the injected `fetch`: serves by absolute URL, honours If-None-Match, records requests. */
export class FakeOrigin {
  readonly files = new Map<string, Served>();
  readonly requests: { url: string; headers: Record<string, string> }[] = [];
  /** Bytes handed to readers, per URL (what went "on the wire" after decompression). */
  readonly bytesRead = new Map<string, number>();

  put(path: string, served: Served | Uint8Array | string): void {
    const url = new URL(path, MANIFEST_URL).href;
    this.files.set(url, typeof served === 'string' || served instanceof Uint8Array ? { body: served } : served);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    this.requests.push({ url, headers });
    const served = this.files.get(url);
    if (!served) return new Response('not found', { status: 404 });
    const bytes = typeof served.body === 'string' ? new TextEncoder().encode(served.body) : served.body;
    const etag = served.headers?.etag;
    if (etag && headers['If-None-Match'] === etag) return new Response(null, { status: 304, headers: { etag } });
    let offset = 0;
    const piece = 16 * 1024;
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (offset >= bytes.byteLength) return controller.close();
        const next = bytes.slice(offset, offset + piece);
        offset += next.byteLength;
        this.bytesRead.set(url, (this.bytesRead.get(url) ?? 0) + next.byteLength);
        controller.enqueue(next);
      },
    });
    const response = new Response(stream, { status: served.status ?? 200, headers: served.headers });
    Object.defineProperty(response, 'url', { value: served.redirectedTo ?? url });
    return response;
  };

  /** Requests made for paths under `prefix`. */
  requested(prefix: string): string[] {
    const base = new URL(prefix, MANIFEST_URL).href;
    return this.requests.map((r) => r.url).filter((u) => u.startsWith(base));
  }
}

/** Assembles a root and parts and puts them on the origin at their URLs. */
export async function publishTo(origin: FakeOrigin, options: Omit<AssembleOptions, 'signer'> & { kid?: string; etag?: string }) {
  const assembled = await assembleManifest({ issuedAt: new Date('2026-11-29T08:00:00Z'), ...options, signer: await signerFor(options.kid) });
  for (const part of assembled.parts) origin.put(part.url, new Uint8Array(part.body));
  origin.put(MANIFEST_URL, { body: assembled.jws, headers: options.etag ? { etag: options.etag } : {} });
  return assembled;
}

/**
 * The longest time the event loop was blocked while it runs: a heartbeat of macrotasks records
 * the largest gap between two beats (what a getTrack() message would wait at most). A gap counts
 * the smaller of wall time and the process's CPU time, so that a machine shared with other
 * work (the CPU taken away from this process) does not count as a long task of the code.
 */
export function probeLongestTask(): { stop(): { wallMs: number; cpuMs: number; ms: number } } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let wallMs = 0;
  let cpuMs = 0;
  let ms = 0;
  let running = true;
  const beat = () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const gapCpu = (cpu.user + cpu.system) / 1000;
    wallMs = Math.max(wallMs, now - last);
    cpuMs = Math.max(cpuMs, gapCpu);
    ms = Math.max(ms, Math.min(now - last, gapCpu));
    last = now;
    lastCpu = process.cpuUsage();
    if (running) setImmediate(beat);
  };
  setImmediate(beat);
  return {
    stop() {
      running = false;
      beat();
      return { wallMs, cpuMs, ms };
    },
  };
}
