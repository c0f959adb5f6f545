// Scenario benchmark (issue 4): a library after a security-epoch reset, in Node with
// fake-indexeddb and a loopback origin. Prints byte ratios (exact, independent of the machine)
// and the time-to-first-playlist ratio. Run: npm run bench -- reset
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { createCacheEngine, type CacheEngine } from '../../src/engine/index.js';
import { TokenBucket } from '../../src/scheduler/TokenBucket.js';
import { systemClock } from '../../src/util/clock.js';
import { bytesOf, chunkDigests, key, sign } from '../helpers/catalog.js';
import { corruptChunks, deleteChunks } from '../helpers/damage.js';
import { TestOrigin } from '../helpers/origin.js';

export interface ResetScenarioOptions {
  tracks: number;
  trackBytes: number;
  chunkSize: number;
  playlists: number;
  /** The bandwidth cap during the resync, bytes per second. */
  bytesPerSecond: number;
  seed: string;
}

export const DEFAULT_RESET_SCENARIO: ResetScenarioOptions = {
  tracks: 100,
  trackBytes: 2 * 1024 * 1024,
  chunkSize: 256 * 1024,
  playlists: 10,
  bytesPerSecond: 4_000_000,
  seed: 'reprise-bench',
};

/** A deterministic PRNG (mulberry32) so a run's damage is reproducible from its seed. */
function prng(seed: string) {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runResetScenario(o: ResetScenarioOptions = DEFAULT_RESET_SCENARIO) {
  const random = prng(o.seed);
  const origin = await TestOrigin.start();
  const ids = Array.from({ length: o.tracks }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const perList = Math.ceil(o.tracks / o.playlists);
  const playlists = Array.from({ length: o.playlists }, (_, p) => ({ id: `pl${p}`, name: `Playlist ${p}`, trackIds: ids.slice(p * perList, (p + 1) * perList), offline: true }));
  const bodies = new Map(ids.map((id) => [id, bytesOf(`${o.seed}:${id}`, o.trackBytes)]));
  const manifestFor = (epoch: number) => ({
    format: 'reprise-manifest/1',
    securityEpoch: epoch,
    issuedAt: new Date().toISOString(),
    playlists,
    tracks: ids.map((id) => {
      origin.put(`/media/${id}.mp3`, bodies.get(id)!);
      return { id, url: `media/${id}.mp3`, mimeType: 'audio/mpeg', size: o.trackBytes, chunkSize: o.chunkSize, chunks: chunkDigests(bodies.get(id)!, o.chunkSize) };
    }),
  });
  const publish = async (epoch: number) => origin.put('/manifest.jws', await sign(manifestFor(epoch), 'k1'));
  const factory = new IDBFactory();
  const open = async (extra: object = {}) =>
    createCacheEngine({ manifestUrl: `${origin.url}/manifest.jws`, trustedKeys: [(await key('k1')).publicJwk as never], indexedDB: factory, ...extra });

  // 1. The library, complete at epoch 1; the last playlist is the one played most recently.
  await publish(1);
  let engine: CacheEngine = await open();
  await engine.sync();
  await engine.idle();
  const firstPlaylist = playlists[playlists.length - 1]!;
  await engine.getTrack(firstPlaylist.trackIds[0]!);
  await engine.close();

  // 2. Damage, spread evenly over the playlists (stratified, seeded): per playlist, 10 % of its
  //    chunks corrupted, and of its tracks 5 % deleted on the device and 5 % changed on the server.
  const deleted = new Set<string>();
  const changed = new Set<string>();
  const corrupt: { id: string; i: number; d: string }[] = [];
  const tenth = Math.round(o.tracks * 0.05);
  playlists.forEach((p, n) => {
    const order = [...p.trackIds].sort(() => random() - 0.5);
    // 5 % of all tracks each: one per playlist while they last, alternating.
    if (n < tenth * 2) (n % 2 === 0 ? deleted : changed).add(order[0]!);
    const chunks = p.trackIds.filter((id) => !deleted.has(id)).flatMap((id) => chunkDigests(bodies.get(id)!, o.chunkSize).map((d, i) => ({ id, i, d })));
    corrupt.push(...chunks.sort(() => random() - 0.5).slice(0, Math.round(p.trackIds.length * (o.trackBytes / o.chunkSize) * 0.1)));
  });
  await corruptChunks(factory, corrupt.map((c) => c.d));
  await deleteChunks(factory, [...deleted].flatMap((id) => chunkDigests(bodies.get(id)!, o.chunkSize)));
  const oldBodies = new Map(bodies);
  for (const id of changed) bodies.set(id, bytesOf(`${o.seed}:${id}:v2`, o.trackBytes));
  await publish(2);

  // Ground truth: what is damaged or changed (needs fetching), and what is still good.
  const chunkLen = (i: number) => Math.min(o.chunkSize, o.trackBytes - i * o.chunkSize);
  const corruptSet = new Set(corrupt.map((c) => c.d));
  let damagedBytes = 0;
  let goodBytes = 0;
  const damagedByPlaylist = new Map<string, number>();
  for (const id of ids) {
    const now = chunkDigests(bodies.get(id)!, o.chunkSize);
    const before = new Set(chunkDigests(oldBodies.get(id)!, o.chunkSize));
    now.forEach((d, i) => {
      const bad = deleted.has(id) || corruptSet.has(d) || !before.has(d);
      if (bad) {
        damagedBytes += chunkLen(i);
        const p = playlists.find((pl) => pl.trackIds.includes(id))!;
        damagedByPlaylist.set(p.id, (damagedByPlaylist.get(p.id) ?? 0) + chunkLen(i));
      } else goodBytes += chunkLen(i);
    });
  }
  const libraryBytes = o.tracks * o.trackBytes;

  // 3. The reset: a new engine (the upgraded app) syncs the epoch-2 manifest at the capped rate.
  origin.log.length = 0;
  engine = await open({ throttle: { bytesPerSecond: o.bytesPerSecond, maxConcurrent: 3 } });
  const started = performance.now();
  let firstPlayableMs = NaN;
  const pending = new Set(firstPlaylist.trackIds.filter((id) => deleted.has(id) || changed.has(id) || corrupt.some((c) => c.id === id)));
  const firstPlaylistReady = new Promise<void>((resolve) => {
    if (pending.size === 0) resolve();
    engine.on('track-complete', ({ trackId }) => {
      pending.delete(trackId);
      if (pending.size === 0) resolve();
    });
  }).then(() => (firstPlayableMs = performance.now() - started));
  const report = await engine.sync();
  await firstPlaylistReady;
  await engine.idle();
  const totalMs = performance.now() - started;
  for (const id of firstPlaylist.trackIds) await engine.getTrack(id); // every track plays, verified
  const fetched = origin.log.filter((r) => r.path.startsWith('/media/')).reduce((n, r) => n + r.bytes, 0);
  await engine.close();

  // 4. The same bandwidth, just the first playlist's damaged bytes: the ideal to compare with.
  const idealMs = await throttledFetchMs(origin, firstPlaylist.trackIds, (id) => {
    const before = new Set(chunkDigests(oldBodies.get(id)!, o.chunkSize));
    return chunkDigests(bodies.get(id)!, o.chunkSize)
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => deleted.has(id) || corruptSet.has(d) || !before.has(d))
      .map(({ i }) => i);
  }, o);
  await origin.close();

  return {
    options: o,
    report,
    damagedBytes,
    goodBytes,
    libraryBytes,
    fetched,
    ratioFetchedToDamaged: fetched / damagedBytes,
    ratioNaive: libraryBytes / damagedBytes,
    ratioKeptToGood: report.kept.bytes / goodBytes,
    firstPlaylist: firstPlaylist.id,
    firstPlaylistDamagedBytes: damagedByPlaylist.get(firstPlaylist.id) ?? 0,
    firstPlayableMs,
    idealMs,
    ratioFirstPlayable: firstPlayableMs / idealMs,
    totalMs,
  };
}

/** Fetches the given chunks of the given tracks, one request per run, through the same token bucket and cap. */
async function throttledFetchMs(origin: TestOrigin, ids: string[], chunksOf: (id: string) => number[], o: ResetScenarioOptions): Promise<number> {
  const bucket = new TokenBucket(systemClock, o.bytesPerSecond, o.chunkSize);
  const runs: { id: string; start: number; end: number }[] = [];
  for (const id of ids) {
    const idx = chunksOf(id);
    for (let k = 0; k < idx.length; ) {
      let j = k;
      while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
      runs.push({ id, start: idx[k]! * o.chunkSize, end: Math.min(o.trackBytes, (idx[j]! + 1) * o.chunkSize) - 1 });
      k = j + 1;
    }
  }
  const started = performance.now();
  const queue = [...runs];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let run = queue.shift(); run; run = queue.shift()) {
        const res = await fetch(`${origin.url}/media/${run.id}.mp3`, { headers: { Range: `bytes=${run.start}-${run.end}` } });
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await bucket.take(value.byteLength);
        }
      }
    }),
  );
  return performance.now() - started;
}

export function printResetScenario(r: Awaited<ReturnType<typeof runResetScenario>>): void {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const o = r.options;
  console.log(`\nreset scenario: ${o.tracks} tracks × ${mib(o.trackBytes)} (${mib(r.libraryBytes)}), chunk ${o.chunkSize / 1024} KiB, ${o.playlists} playlists, cap ${(o.bytesPerSecond / 1e6).toFixed(1)} MB/s`);
  console.log(`  damage: 10% of chunks corrupted, 5% of tracks deleted on the device, 5% changed on the server → ${mib(r.damagedBytes)} to fetch, ${mib(r.goodBytes)} still good`);
  console.log(`  report: kind ${r.report.kind} [${r.report.reasons.join(', ')}], corrupt chunks ${r.report.corruptChunks}, missing chunks ${r.report.missingChunks}, kept ${mib(r.report.kept.bytes)}, to fetch ${mib(r.report.toFetch.bytes)}, sync() ${r.report.durationMs} ms`);
  console.log(`  bytes fetched ÷ bytes damaged or changed:      ${r.ratioFetchedToDamaged.toFixed(2)}   (${r.fetched} ÷ ${r.damagedBytes}; naive wipe-and-download: ${r.ratioNaive.toFixed(2)})`);
  console.log(`  bytes kept ÷ bytes still good:                  ${r.ratioKeptToGood.toFixed(2)}   (${r.report.kept.bytes} ÷ ${r.goodBytes})`);
  console.log(`  first playlist (${r.firstPlaylist}, ${mib(r.firstPlaylistDamagedBytes)} damaged) playable after ${(r.firstPlayableMs / 1000).toFixed(2)} s; fetching just those bytes at the same cap: ${(r.idealMs / 1000).toFixed(2)} s`);
  console.log(`  time to first playlist ÷ ideal:                 ${r.ratioFirstPlayable.toFixed(2)}`);
  console.log(`  whole resync: ${(r.totalMs / 1000).toFixed(1)} s (fake-indexeddb: times are not storage speeds)`);
}
