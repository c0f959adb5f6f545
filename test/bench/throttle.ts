// Scheduler benchmarks (issue 3), in Node with fake-indexeddb and a loopback origin:
// throttle accuracy, requests in flight at the origin, and engine throughput against a raw fetch.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { createCacheEngine } from '../../src/engine/index.js';
import { openStore } from '../../src/store/openStore.js';
import { Store } from '../../src/store/Store.js';
import { bytesOf, chunkDigests, key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

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

export async function engineVsRawFetch(tracks = 48, trackBytes = 4 * 1024 * 1024, maxConcurrent = 3) {
  const origin = await TestOrigin.start();
  const lib = await library(origin, tracks, trackBytes, 'tp');
  /** Runs `each` over every track body, `maxConcurrent` at a time; returns bytes per second. */
  const rateOf = async (each: (id: string, reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>) => {
    const queue = [...lib.ids];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: maxConcurrent }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) await each(id, (await fetch(`${origin.url}/tp/${id}.mp3`)).body!.getReader());
      }),
    );
    return lib.bytes / ((performance.now() - started) / 1000);
  };
  const raw = () =>
    rateOf(async (_id, reader) => {
      while (!(await reader.read()).done);
    });
  const viaEngine = async () => {
    const engine = await createCacheEngine({
      manifestUrl: lib.manifestUrl,
      trustedKeys: [(await key('k1')).publicJwk as never],
      indexedDB: new IDBFactory(),
      throttle: { maxConcurrent },
    });
    const started = performance.now();
    await engine.sync();
    await engine.idle();
    const rate = lib.bytes / ((performance.now() - started) / 1000);
    await engine.close();
    return rate;
  };
  // The least any verified store must do: fetch, cut into chunks, SHA-256 each, put 16 per
  // transaction into the same fake-indexeddb. No engine: a ceiling for what the engine can reach.
  const bare = async () => {
    const store = new Store((await openStore(new IDBFactory(), 'bare')).db);
    const rate = await rateOf(async (id, reader) => {
      let chunk = new Uint8Array(CHUNK);
      let fill = 0;
      let batch: { digest: string; bytes: ArrayBuffer }[] = [];
      const hashes: Promise<ArrayBuffer>[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        for (let off = 0; off < r.value.byteLength; ) {
          const take = Math.min(r.value.byteLength - off, CHUNK - fill);
          chunk.set(r.value.subarray(off, off + take), fill);
          fill += take;
          off += take;
          if (fill === CHUNK) {
            hashes.push(crypto.subtle.digest('SHA-256', chunk.buffer));
            batch.push({ digest: `${id}:${hashes.length}`, bytes: chunk.buffer });
            if (batch.length === 16) (await store.putChunks(batch), (batch = []));
            chunk = new Uint8Array(CHUNK);
            fill = 0;
          }
        }
      }
      await Promise.all(hashes);
      await store.putChunks(batch);
    });
    store.close();
    return rate;
  };
  await raw(); // warm up sockets and the JIT for all three
  const rawRates: number[] = [];
  const bareRates: number[] = [];
  const engineRates: number[] = [];
  for (let round = 0; round < 2; round++) {
    rawRates.push(await raw());
    bareRates.push(await bare());
    engineRates.push(await viaEngine());
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawRate = median(rawRates);
  const bareRate = median(bareRates);
  const engineRate = median(engineRates);
  // The same comparison behind a link-bound origin (each response paced to 64 KiB every 4 ms,
  // ≈16 MB/s, ≈50 MB/s for three: a fast fibre line), where the network, not the CPU, is the limit.
  origin.pace = { bytes: 65536, everyMs: 4 };
  const linkRaw = await raw();
  const linkEngine = await viaEngine();
  origin.pace = undefined;
  await origin.close();
  return {
    bytes: lib.bytes,
    rawRate,
    bareRate,
    engineRate,
    ratio: engineRate / rawRate,
    ratioToBare: engineRate / bareRate,
    linkRaw,
    linkEngine,
    linkRatio: linkEngine / linkRaw,
    maxConcurrent,
  };
}

export function printThrottle(t: Awaited<ReturnType<typeof throttleAccuracy>>, e: Awaited<ReturnType<typeof engineVsRawFetch>>) {
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB/s`;
  console.log(`\nthrottle accuracy, maxConcurrent ${t.maxConcurrent}, loopback origin (body bytes the engine read ÷ time):`);
  for (const r of t.rows) {
    console.log(
      `  cap ${mb(r.cap).padStart(11)}: steady ${t.seconds} s window ${mb(r.achieved).padStart(11)}, |achieved − cap| / cap = ${(r.error * 100).toFixed(2)} %   (first ${t.seconds} s incl. the one-chunk burst: ${mb(r.fromFirstByte)}, ${(r.firstError * 100).toFixed(2)} %)`,
    );
  }
  console.log(`  most requests ever in flight at the origin: ${t.maxInFlight} (maxConcurrent ${t.maxConcurrent})`);
  console.log(`\nuncapped throughput, ${(e.bytes / 1048576).toFixed(0)} MiB, ${e.maxConcurrent} at a time (Node, fake-indexeddb: a memory copy, not a storage speed):`);
  console.log(`  raw fetch ${mb(e.rawRate)}; bare fetch + SHA-256 + put, no engine ${mb(e.bareRate)}; engine ${mb(e.engineRate)}`);
  console.log(`  engine ÷ raw fetch = ${e.ratio.toFixed(2)}   (engine ÷ bare pipeline = ${e.ratioToBare.toFixed(2)}; the origin, the client, SHA-256 and fake-indexeddb's structured clone share 2 cores)`);
  console.log(`  behind a link-bound origin (paced responses): raw fetch ${mb(e.linkRaw)}, engine ${mb(e.linkEngine)}, engine ÷ raw = ${e.linkRatio.toFixed(2)}`);
}
