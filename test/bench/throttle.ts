// Scheduler benchmarks (issue 3), in Node with fake-indexeddb and a loopback origin:
// throttle accuracy, requests in flight at the origin, and engine throughput against a raw fetch.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { createCacheEngine } from '../../src/engine/index.js';
import { openStore } from '../../src/store/openStore.js';
import { Store } from '../../src/store/Store.js';
import { bytesOf, chunkDigests, key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { availableParallelism } from 'node:os';
import { type EngineName, assertInstalled, engines } from '../browser/harness.js';
import { type WireFigures, engineWire, nodeWireInChild } from '../helpers/wire.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type CreateEngine = typeof createCacheEngine;

/**
 * The engine to compare with, "before": REPRISE_BASELINE names the root of another checkout (for
 * example `git archive a486375 src | tar -x -C /tmp/base`, with node_modules linked), measured in
 * the same run, interleaved round by round. Unset: no comparison.
 */
async function baselineEngine(): Promise<{ dir: string; create: CreateEngine } | undefined> {
  const dir = process.env.REPRISE_BASELINE;
  if (!dir) return undefined;
  const mod = (await import(pathToFileURL(join(dir, 'src/engine/index.ts')).href)) as { createCacheEngine: CreateEngine };
  return { dir, create: mod.createCacheEngine };
}

const CHUNK = 256 * 1024;

async function library(origin: TestOrigin, tracks: number, trackBytes: number, seed: string) {
  const ids = Array.from({ length: tracks }, (_, i) => `${seed}${i}`);
  const manifest = {
    format: 'reprise-manifest/1',
    securityEpoch: 1,
    issuedAt: new Date().toISOString(),
    playlists: [{ id: 'all', name: 'All', trackIds: ids, offline: true }],
    tracks: ids.map((id) => {
      const body = bytesOf(id, trackBytes);
      origin.put(`/${seed}/${id}.mp3`, body);
      return { id, url: `${id}.mp3`, mimeType: 'audio/mpeg', size: trackBytes, chunkSize: CHUNK, chunks: chunkDigests(body, CHUNK) };
    }),
  };
  origin.put(`/${seed}/manifest.jws`, await sign(manifest, 'k1'));
  return { ids, bytes: tracks * trackBytes, manifestUrl: `${origin.url}/${seed}/manifest.jws` };
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

function countingFetch(counter: { bytes: number; first: number }): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith('.mp3')) return res;
    // Pull-based with highWaterMark 0: bytes are counted when the engine reads them, not when
    // a pipe reads ahead.
    const reader = res.body!.getReader();
    const counted = new ReadableStream<Uint8Array>(
      {
        async pull(ctl) {
          const { done, value } = await reader.read();
          if (done) return ctl.close();
          if (counter.first === 0) counter.first = performance.now();
          counter.bytes += value.byteLength;
          ctl.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(counted, { status: res.status, headers: res.headers });
  };
}

export async function throttleAccuracy(caps = [1e6, 4e6, 16e6], seconds = 10, maxConcurrent = 3) {
  const origin = await TestOrigin.start();
  const rows: { cap: number; achieved: number; error: number; fromFirstByte: number; firstError: number }[] = [];
  for (const cap of caps) {
    const lib = await library(origin, Math.ceil((cap * seconds * 2.3) / (8 * 1024 * 1024)) + 1, 8 * 1024 * 1024, `cap${cap}`);
    const counter = { bytes: 0, first: 0 };
    const engine = await createCacheEngine({
      manifestUrl: lib.manifestUrl,
      trustedKeys: [(await key('k1')).publicJwk as never],
      indexedDB: new IDBFactory(),
      throttle: { bytesPerSecond: cap, maxConcurrent },
      fetch: countingFetch(counter),
    });
    engine.on('track-failed', (f) => {
      throw new Error(`benchmark setup is broken: ${f.message}`);
    });
    await engine.sync();
    for (const giveUp = performance.now() + 5000; counter.first === 0; await new Promise((r) => setTimeout(r, 1))) {
      if (performance.now() > giveUp) throw new Error('no body bytes within 5 s: the benchmark setup is broken');
    }
    // From the first byte (includes the one-chunk burst and the pieces read ahead of their tokens) …
    const first = counter.first;
    await sleepUntil(first + seconds * 1000);
    const fromFirstByte = counter.bytes / ((performance.now() - first) / 1000);
    // … and the steady rate over the next `seconds`, which is what the cap promises.
    const steadyStart = performance.now();
    const steadyBytes = counter.bytes;
    await sleepUntil(steadyStart + seconds * 1000);
    const achieved = (counter.bytes - steadyBytes) / ((performance.now() - steadyStart) / 1000);
    rows.push({ cap, achieved, error: Math.abs(achieved - cap) / cap, fromFirstByte, firstError: Math.abs(fromFirstByte - cap) / cap });
    await engine.close();
  }
  const maxInFlight = origin.maxInFlight;
  await origin.close();
  return { rows, seconds, maxConcurrent, maxInFlight };
}

/** Wall time and CPU time of every thread of this process (origin, client, WebCrypto's pool) over `work`. */
async function measure(bytes: number, work: () => Promise<void>) {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: bytes / seconds, cpuPerMB: (cpu.user + cpu.system) / 1e6 / (bytes / 1e6) };
}

export async function engineVsRawFetch(tracks = 48, trackBytes = 4 * 1024 * 1024, maxConcurrent = 3) {
  const origin = await TestOrigin.start();
  const lib = await library(origin, tracks, trackBytes, 'tp');
  /** Reads every track body, `maxConcurrent` at a time, and drops the bytes. */
  const raw = () =>
    measure(lib.bytes, async () => {
      const queue = [...lib.ids];
      await Promise.all(
        Array.from({ length: maxConcurrent }, async () => {
          for (let id = queue.shift(); id; id = queue.shift()) {
            const reader = (await fetch(`${origin.url}/tp/${id}.mp3`)).body!.getReader();
            while (!(await reader.read()).done);
          }
        }),
      );
    });
  const viaEngine = async (create: CreateEngine = createCacheEngine) => {
    const engine = await create({
      manifestUrl: lib.manifestUrl,
      trustedKeys: [(await key('k1')).publicJwk as never],
      indexedDB: new IDBFactory(),
      throttle: { maxConcurrent },
    });
    const result = await measure(lib.bytes, async () => {
      await engine.sync();
      await engine.idle();
    });
    await engine.close();
    return result;
  };
  // What verifying costs on its own, with no fetch and no engine: SHA-256 of every chunk and a
  // put of 16 per transaction into the same fake-indexeddb, from bytes already in memory, the
  // hashes running while the previous batch is written. Its CPU per MB is the least any verified
  // store adds to a fetch.
  const verifyOnly = async () => {
    const store = new Store((await openStore(new IDBFactory(), 'verify-only')).db);
    const chunk = new Uint8Array(bytesOf('verify', CHUNK));
    const result = await measure(lib.bytes, async () => {
      let writing = Promise.resolve();
      for (let i = 0; i < lib.bytes / CHUNK; i += 16) {
        const batch = await Promise.all(
          Array.from({ length: 16 }, async (_, k) => ({ digest: `${i + k}:${toHex(await crypto.subtle.digest('SHA-256', chunk))}`, bytes: chunk.buffer })),
        );
        await writing;
        writing = store.putChunks(batch);
      }
      await writing;
    });
    store.close();
    return result;
  };
  await raw(); // warm up sockets and the JIT
  const base = await baselineEngine();
  const runs = { raw: [] as Measured[], verify: [] as Measured[], engine: [] as Measured[], before: [] as Measured[] };
  for (let round = 0; round < 3; round++) {
    runs.raw.push(await raw());
    runs.verify.push(await verifyOnly());
    runs.engine.push(await viaEngine());
    if (base) runs.before.push(await viaEngine(base.create));
  }
  const raw_ = median(runs.raw);
  const verify = median(runs.verify);
  const engine = median(runs.engine);
  const cores = availableParallelism();
  // Any verified store must spend at least the raw fetch's CPU (origin and client) plus the
  // verification's on every byte; `cores` cores can then move at most this many bytes a second.
  const ceiling = (cores * 1e6) / (raw_.cpuPerMB + verify.cpuPerMB);
  // The same comparison behind a link-bound origin (each response paced to 64 KiB every 4 ms,
  // ≈16 MB/s, ≈50 MB/s for three: a fast fibre line), where the network, not the CPU, is the limit.
  origin.pace = { bytes: 65536, everyMs: 4 };
  const linkRaw = (await raw()).rate;
  const linkEngine = (await viaEngine()).rate;
  const linkBefore = base ? (await viaEngine(base.create)).rate : undefined;
  origin.pace = undefined;
  await origin.close();
  const before = base ? { dir: base.dir, loopback: median(runs.before).rate, link: linkBefore! } : undefined;
  return { bytes: lib.bytes, raw: raw_, verify, engine, ratio: engine.rate / raw_.rate, cores, ceiling, linkRaw, linkEngine, linkRatio: linkEngine / linkRaw, maxConcurrent, before };
}

type Measured = Awaited<ReturnType<typeof measure>>;
/** The run with the median rate (an odd number of runs). */
const median = (xs: Measured[]) => [...xs].sort((a, b) => a.rate - b.rate)[Math.floor(xs.length / 2)]!;
const toHex = (digest: ArrayBuffer) => Array.from(new Uint8Array(digest).subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');

export function printThrottle(t: Awaited<ReturnType<typeof throttleAccuracy>>, e: Awaited<ReturnType<typeof engineVsRawFetch>>) {
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB/s`;
  console.log(`\nthrottle accuracy, maxConcurrent ${t.maxConcurrent}, loopback origin (body bytes the engine read ÷ time):`);
  for (const r of t.rows) {
    console.log(
      `  cap ${mb(r.cap).padStart(11)}: steady ${t.seconds} s window ${mb(r.achieved).padStart(11)}, |achieved − cap| / cap = ${(r.error * 100).toFixed(2)} %   (first ${t.seconds} s incl. the one-chunk burst: ${mb(r.fromFirstByte)}, ${(r.firstError * 100).toFixed(2)} %)`,
    );
  }
  console.log(`  most requests ever in flight at the origin: ${t.maxInFlight} (maxConcurrent ${t.maxConcurrent})`);
  const ms = (m: Measured) => `${(m.cpuPerMB * 1000).toFixed(2)} CPU ms/MB`;
  console.log(`\nuncapped throughput, ${(e.bytes / 1048576).toFixed(0)} MiB, ${e.maxConcurrent} at a time (Node, fake-indexeddb: a memory copy, not a storage speed; median of 3 runs):`);
  console.log(`  raw fetch ${mb(e.raw.rate)} (${ms(e.raw)}); engine ${mb(e.engine.rate)} (${ms(e.engine)})`);
  console.log(`  engine ÷ raw fetch = ${e.ratio.toFixed(2)}`);
  console.log(`  verifying alone (SHA-256 + put 16 a transaction, bytes in memory, no fetch): ${ms(e.verify)}`);
  console.log(
    `  CPU ceiling for any verified store here: ${e.cores} cores ÷ (raw fetch + verifying) = ${mb(e.ceiling)} = ${(e.ceiling / e.raw.rate).toFixed(2)} of the raw fetch; the engine reaches ${(e.engine.rate / e.ceiling).toFixed(2)} of that ceiling`,
  );
  console.log(`  behind a link-bound origin (paced responses): raw fetch ${mb(e.linkRaw)}, engine ${mb(e.linkEngine)}, engine ÷ raw = ${e.linkRatio.toFixed(2)}`);
  if (e.before) {
    console.log(`  before (${e.before.dir}) → after (this checkout), same run: loopback ${mb(e.before.loopback)} → ${mb(e.engine.rate)} (× ${(e.engine.rate / e.before.loopback).toFixed(2)}); link-bound ${mb(e.before.link)} → ${mb(e.linkEngine)} (× ${(e.linkEngine / e.before.link).toFixed(2)})`);
  } else console.log('  (set REPRISE_BASELINE to another checkout to print uncapped throughput before and after)');
}

/**
 * Issue 11: body bytes the origin's sockets accepted per 100 ms (TestOrigin.wire), at each cap:
 * in Node (fake-indexeddb; the caps at once, each in a process of its own), then in each engine
 * of the harness (Chromium, Firefox, WebKit; REPRISE_ENGINES picks) one after the other, a page
 * per cap one after the other (the cache worker without a service worker), each against its own
 * loopback origin in a process of its own.
 */
export async function wireAccuracy(caps = [0.5e6, 2e6, 8e6], seconds = 10) {
  const node = await Promise.all(caps.map((cap) => nodeWireInChild(cap, seconds)));
  const browsers: { engine: EngineName; rows: WireFigures[] }[] = [];
  for (const engine of engines) {
    assertInstalled(engine);
    const browser = await engine.launch();
    try {
      const rows = [];
      for (const cap of caps) rows.push(await engineWire(browser, cap, seconds)); // one page at a time, as the test
      browsers.push({ engine: engine.name, rows });
    } finally {
      await browser.close();
    }
  }
  return { seconds, node, browsers };
}

export function printWire({ seconds, node, browsers }: Awaited<ReturnType<typeof wireAccuracy>>) {
  const row = (r: WireFigures) => `worst ${(r.worst / 1024).toFixed(1).padStart(6)} KiB (slot ${String(r.worstAt).padStart(3)}), average ${(r.average / 1e6).toFixed(3)} MB/s (${(r.error * 100).toFixed(1).padStart(4)} %), ≤ ${r.maxOpen} open`;
  console.log(`\nthe cap on the wire: bytes the origin's sockets accepted per 100 ms, maxConcurrent 3, ${seconds} s average after 1 s`);
  console.log('  (worst = largest excess over cap × T + one chunk of any interval from the first byte: ≤ 0 holds the bound)');
  node.forEach((n, i) => {
    console.log(`  cap ${(n.cap / 1e6).toFixed(1)} MB/s  ${'Node'.padEnd(9)} ${row(n)}`);
    for (const b of browsers) console.log(`  ${''.padEnd(14)}${b.engine.padEnd(9)} ${row(b.rows[i]!)}`);
  });
}
