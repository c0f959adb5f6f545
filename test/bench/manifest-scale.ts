// Format 2 at scale (issue 20): what a service pays to assemble and sign one user's root and
// parts from a digest index, what the wire carries for a change, and how long the device's
// decode blocks its event loop. Run: npx tsx test/bench/manifest-scale.ts [tracks…]
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { exportJWK } from 'jose';
import { type PublicJwk, importTrustedKeys } from '../../src/manifest/trustedKeys.js';
import { allowedOriginSet } from '../../src/manifest/trackOrigins.js';
import { loadManifest } from '../../src/manifest/v2/loadManifest.js';
import { TaskSlicer } from '../../src/manifest/v2/TaskSlicer.js';
import { type AssembledManifest, assembleManifest } from '../../src/publish/assembleManifest.js';
import { createSigner, type RootSigner } from '../../src/publish/createSigner.js';
import { DigestIndex } from '../../src/publish/DigestIndex.js';
import { digestFromChunks } from '../../src/publish/digestFile.js';

const MANIFEST_URL = 'https://music.example/u/42/manifest.jws';

/** A digest index of `media` files and one user's library of `tracks` tracks in 21 playlists. */
export function userLibrary(tracks: number, media = Math.min(tracks, 2_000)) {
  const index = new DigestIndex();
  const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
  for (let i = 0; i < media; i++) {
    const size = 3_000_000 + ((i * 7919) % 6_000_000);
    const chunks = Array.from({ length: Math.ceil(size / 262_144) }, (_, c) => digest(`${i}:${c}`));
    index.add(`m${i}`, { ...digestFromChunks(size, 262_144, chunks), url: `/media/m${i}.mp3`, mimeType: 'audio/mpeg', title: `Track ${i}`, artist: `Artist ${i % 500}` });
  }
  const list = Array.from({ length: tracks }, (_, i) => index.track(`t${i}`, `m${i % media}`));
  const playlists = Array.from({ length: 21 }, (_, p) => ({ id: `p${p}`, name: `Playlist ${p}`, trackIds: list.filter((_, i) => i % 21 === p).map((t) => t.id) }));
  return { index, tracks: list, playlists };
}

/** Milliseconds of wall time and of this process's CPU for `fn`. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The longest gap between two macrotask heartbeats while `fn` runs (wall and process CPU). */
async function longestTask<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let wallMs = 0;
  let cpuMs = 0;
  let running = true;
  const beat = () => {
    const used = process.cpuUsage(lastCpu);
    wallMs = Math.max(wallMs, performance.now() - last);
    cpuMs = Math.max(cpuMs, (used.user + used.system) / 1000);
    last = performance.now();
    lastCpu = process.cpuUsage();
    if (running) setImmediate(beat);
  };
  setImmediate(beat);
  const value = await fn();
  running = false;
  beat();
  return { value, wallMs, cpuMs };
}

export interface ScaleResult {
  tracks: number;
  parts: number;
  rootBytes: number;
  rootGzip: number;
  partBytes: number;
  partGzip: number;
  assembleJwk: { wallMs: number; cpuMs: number };
  assembleKms: { wallMs: number; cpuMs: number };
  decode: { wallMs: number; longestWallMs: number; longestCpuMs: number };
}

function kmsLikeSigner(): { signer: Promise<RootSigner>; publicJwk: Promise<PublicJwk> } {
  // A key the process cannot export, used through a function that returns DER, as KMS APIs do.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    signer: createSigner({ kid: 'kms-1', sign: async (input) => nodeSign('sha256', input, { key: privateKey, dsaEncoding: 'der' }) }),
    publicJwk: exportJWK(publicKey).then((jwk) => ({ ...jwk, kid: 'kms-1' }) as PublicJwk),
  };
}

export async function manifestScale(tracks: number, runs = 15): Promise<ScaleResult> {
  const lib = userLibrary(tracks);
  const kms = kmsLikeSigner();
  const { generateKeys } = await import('../../src/cli/keys.js');
  const keys = await generateKeys('k-bench');
  const jwkSigner = await createSigner({ privateJwk: keys.privateJwk });
  const assemble = (signer: RootSigner, version: number) => assembleManifest({ tracks: lib.tracks, playlists: lib.playlists, securityEpoch: 1, version, subject: 'u42', signer });
  const samples = async (signer: RootSigner) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let last: AssembledManifest | undefined;
    for (let i = 0; i < runs; i++) {
      const r = await timed(() => assemble(signer, i + 1));
      (wall.push(r.wallMs), cpu.push(r.cpuMs), (last = r.value));
    }
    return { wallMs: median(wall), cpuMs: median(cpu), last: last! };
  };
  const viaJwk = await samples(jwkSigner);
  const viaKms = await samples(await kms.signer);
  const assembled = viaJwk.last;

  const files = new Map<string, Uint8Array>([[MANIFEST_URL, new TextEncoder().encode(assembled.jws)]]);
  for (const p of assembled.parts) files.set(new URL(p.url, MANIFEST_URL).href, new Uint8Array(p.body));
  const fetch = (async (url: string) => new Response(files.get(String(url)) as BodyInit)) as unknown as typeof globalThis.fetch;
  const verify = { trustedKeys: await importTrustedKeys([keys.publicJwk as unknown as PublicJwk, await kms.publicJwk]), revokedKeyIds: new Set<string>(), minEpoch: 0, now: Date.now() };
  const decode = await longestTask(() => timed(() => loadManifest({ manifestUrl: MANIFEST_URL, fetch, allowed: allowedOriginSet(MANIFEST_URL, []), verify, slicer: new TaskSlicer() })));

  const part = assembled.parts[Math.floor(assembled.parts.length / 2)]!;
  return {
    tracks,
    parts: assembled.parts.length,
    rootBytes: assembled.jws.length,
    rootGzip: gzipSync(assembled.jws).byteLength,
    partBytes: part.bytes,
    partGzip: gzipSync(part.body).byteLength,
    assembleJwk: { wallMs: viaJwk.wallMs, cpuMs: viaJwk.cpuMs },
    assembleKms: { wallMs: viaKms.wallMs, cpuMs: viaKms.cpuMs },
    decode: { wallMs: decode.value.wallMs, longestWallMs: decode.wallMs, longestCpuMs: decode.cpuMs },
  };
}

export function printManifestScale(results: ScaleResult[]): void {
  const f = (n: number) => n.toFixed(1);
  const kb = (n: number) => (n / 1024).toFixed(1);
  console.log('\nFormat 2 at scale (median of runs; CPU = this process, wall includes other load)');
  console.log('| tracks | parts | root KB (gzip) | one part KB (gzip) | one change on the wire, gzip KB | assemble+sign JWK: wall / CPU ms | KMS signer: wall / CPU ms | device decode ms | longest task: wall / CPU ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    console.log(
      `| ${r.tracks} | ${r.parts} | ${kb(r.rootBytes)} (${kb(r.rootGzip)}) | ${kb(r.partBytes)} (${kb(r.partGzip)}) | ${kb(r.rootGzip + r.partGzip)} | ${f(r.assembleJwk.wallMs)} / ${f(r.assembleJwk.cpuMs)} | ${f(r.assembleKms.wallMs)} / ${f(r.assembleKms.cpuMs)} | ${f(r.decode.wallMs)} | ${f(r.decode.longestWallMs)} / ${f(r.decode.longestCpuMs)} |`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const results: ScaleResult[] = [];
  for (const n of sizes.length ? sizes : [1_000, 10_000, 100_000]) results.push(await manifestScale(n, n >= 100_000 ? 5 : 15));
  printManifestScale(results);
}
