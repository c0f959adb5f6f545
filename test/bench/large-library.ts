// Line 5 (issue 20): libraries of 1,000, 10,000 and 100,000 tracks (3–9 MB, 256 KiB chunks,
// 2,000 distinct media at most) in 100 playlists, format 1 and format 2, in Chromium's cache
// worker with its real IndexedDB, default options. Per library: the first sync; an unchanged
// sync (the origin answers the root with an ETag and 304 to If-None-Match, as a CDN would); a
// replan (setOffline of 5 playlists, the engine paused); the page closed and a new page opened
// in the same profile (its openOfflineCache and the sync after it); a sync after one offline
// track was re-published (new media), and one after one playlist was edited. Each: body bytes of
// the manifest's requests (root, parts, chunk lists) and time, and the worker's longest task (a
// 10 ms heartbeat in the worker measuring its own lateness); IndexedDB growth is the change of
// navigator.storage.estimate().usage. Nothing is downloaded: the media are not on the origin and
// the engine is paused before anything is offline. A library that the default limits refuse
// (format 1 at 100,000 tracks: over maxManifestBytes) prints its refusal's code.
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { assembleManifest } from '../../src/publish/assembleManifest.js';
import { createSigner } from '../../src/publish/createSigner.js';
import { digestFromChunks } from '../../src/publish/digestFile.js';
import { key } from '../helpers/catalog.js';
import { rootValidators } from '../helpers/publishV2.js';
import { launch } from '../browser/harness.js';
import { userLibrary } from './manifest-scale.js';
import { openPage, startBenchSite, workerLateness } from './lib/benchSite.js';
import { rounds } from './lib/stats.js';
import { traceWorkerTasks } from './lib/workerTasks.js';

const CHUNK = 262_144;
const PLAYLISTS = 100;
/** The playlists made offline (with the engine paused) before the reload and the changes. */
const OFFLINE = ['p0', 'p20', 'p40', 'p60', 'p80'];

/** The library of manifest-scale's userLibrary (media i = track i mod 2,000), in 100 playlists. */
function library(tracks: number) {
  const lib = userLibrary(tracks);
  const per = Math.ceil(tracks / PLAYLISTS);
  const playlists = Array.from({ length: PLAYLISTS }, (_, p) => ({ id: `p${p}`, name: `Playlist ${p}`, trackIds: lib.tracks.slice(p * per, (p + 1) * per).map((t) => t.id) }));
  return { ...lib, playlists };
}

export type Change = 'republish' | 'playlist';

/**
 * A site serving the library in `format`, the root with an ETag (304 to If-None-Match);
 * `publish(change)` publishes the next version: one track of p0 (offline) re-published as new
 * media, or playlist p1 edited (its first track moved to its end and t0 added).
 */
export async function publishLibrary(format: 1 | 2, tracks: number, readableWorker = false) {
  const lib = library(tracks);
  const site = await startBenchSite([], [], { heartbeat: true, readableWorker });
  const { origin } = site;
  const signer = await createSigner({ privateJwk: { ...(await key('k1')).privateJwk, kid: 'k1' } });
  let version = 0;
  const publish = async (change?: Change) => {
    version++;
    if (change === 'republish') {
      const size = 4_100_000 + version;
      const chunks = Array.from({ length: Math.ceil(size / CHUNK) }, (_, c) => createHash('sha256').update(`re${version}:${c}`).digest('base64url'));
      lib.index.add(`re${version}`, { ...digestFromChunks(size, CHUNK, chunks), url: `/media/re${version}.mp3`, mimeType: 'audio/mpeg', title: `Re-published ${version}` });
      lib.tracks[5] = lib.index.track(lib.tracks[5]!.id, `re${version}`);
    }
    if (change === 'playlist') {
      const p = lib.playlists[1]!;
      lib.playlists[1] = { ...p, trackIds: [...p.trackIds.slice(1).filter((id) => id !== 't0'), p.trackIds[0]!, 't0'] };
    }
    const chunkLists = lib.index.chunkLists();
    if (format === 2) {
      for (const [contentId, list] of chunkLists) if (!origin.files.has(`/index/${contentId}`)) origin.put(`/index/${contentId}`, list, 'application/octet-stream');
      const assembled = await assembleManifest({ tracks: lib.tracks, playlists: lib.playlists, signer, securityEpoch: 1, version });
      for (const part of assembled.parts) origin.put(`/${part.url}`, part.body, 'application/json');
      origin.put('/manifest.jws', assembled.jws, 'application/jose');
      return { manifestBytes: Buffer.byteLength(assembled.jws) + assembled.parts.reduce((n, p) => n + p.body.length, 0), parts: assembled.parts.length };
    }
    // Per content (2,000 at most), not per track.
    const digests = new Map<string, string[]>();
    const digestsOf = (contentId: string) => {
      let out = digests.get(contentId);
      if (!out) {
        const list = Buffer.from(chunkLists.get(contentId)!);
        digests.set(contentId, (out = Array.from({ length: list.length / 32 }, (_, i) => list.subarray(i * 32, (i + 1) * 32).toString('base64url'))));
      }
      return out;
    };
    const v1Tracks = lib.tracks.map(({ contentId, ...t }) => ({ ...t, chunks: digestsOf(contentId) }));
    const jws = await signFast({ format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: new Date().toISOString(), playlists: lib.playlists, tracks: v1Tracks }, 'k1');
    origin.put('/manifest.jws', jws, 'application/jose');
    return { manifestBytes: Buffer.byteLength(jws), parts: 0 };
  };
  const published = await publish();
  rootValidators(origin);
  return { ...site, publish, published };
}

/**
 * A compact JWS (ES256) signed with node:crypto: the same token as the test helper's `sign`, made
 * in seconds for a 160 MB format-1 payload (jose's base64url in JavaScript takes most of a minute).
 */
async function signFast(payload: unknown, kid: string): Promise<string> {
  const b64 = (b: Buffer) => b.toString('base64url');
  const input = `${b64(Buffer.from(JSON.stringify({ alg: 'ES256', kid })))}.${b64(Buffer.from(JSON.stringify(payload)))}`;
  const privateKey = createPrivateKey({ key: (await key(kid)).privateJwk as never, format: 'jwk' });
  return `${input}.${b64(nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

/** One measured step: wall time in the page, manifest body bytes and requests, the worker's longest task. */
export interface Step {
  ms: number;
  wire: number;
  requests: number;
  /** Requests by kind: root status, parts and chunk lists. */
  what: string;
  /** The heartbeat's worst lateness: the longest task as the bench's aim measures it (wall time). */
  longest: number;
  /** From a trace of the worker thread: the longest task's wall ms, and the most thread (CPU) ms any task used. */
  traceWallMs: number;
  threadMs: number;
}

export interface LibraryRound {
  first: Step;
  unchanged: Step;
  /** setOffline() of 5 playlists, the engine paused (median of 5 calls). */
  planMs: number;
  planLongest: number;
  /** openOfflineCache() in a new page of the same profile (the stored manifest loaded). */
  reopen: Step;
  afterReload: Step;
  republished: Step;
  playlistEdited: Step;
  /** navigator.storage.estimate().usage after everything, minus before the first sync. */
  idbGrowth: number;
}

export interface Refusal {
  code: string;
  message: string;
  ms: number;
  /** Body bytes the origin's socket accepted before the client stopped reading. */
  wire: number;
}

const MANIFEST_PATH = (p: string) => p === '/manifest.jws' || p.startsWith('/parts/') || p.startsWith('/index/');

async function openCache(page: Page, options: unknown): Promise<number> {
  return page.evaluate(async (options) => {
    const w = window as never as Record<string, any>;
    const t = performance.now();
    w.cache = await w.openOfflineCache({ ...(options as object), serviceWorker: false });
    await w.cache.pause();
    return performance.now() - t;
  }, options);
}

/** Runs `what` in the page and measures it as a {@link Step}. */
async function step(context: BrowserContext, page: Page, site: Awaited<ReturnType<typeof publishLibrary>>, what: () => Promise<number>): Promise<Step> {
  await workerLateness(page).catch(() => 0);
  const trace = await traceWorkerTasks(context, page);
  site.origin.log.length = 0;
  const ms = await what();
  const tasks = await trace.stop();
  const log = site.origin.log.filter((r) => MANIFEST_PATH(r.path));
  const parts = log.filter((r) => r.path.startsWith('/parts/')).length;
  const lists = log.filter((r) => r.path.startsWith('/index/')).length;
  const root = log.filter((r) => r.path === '/manifest.jws').map((r) => (r.bytes === 0 ? '304' : `${r.bytes} B`));
  return { ms, wire: log.reduce((n, r) => n + r.bytes, 0), requests: log.length, what: `root ${root.join(', ') || '–'}; ${parts} parts; ${lists} chunk lists`, longest: await workerLateness(page), traceWallMs: tasks.longestWallMs, threadMs: tasks.maxThreadMs };
}

const sync = (page: Page) =>
  page.evaluate(async () => {
    const t = performance.now();
    await (window as never as Record<string, any>).cache.sync();
    return performance.now() - t;
  });

const usage = (page: Page) => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

/** One round: a fresh profile, the library as published, then its two changes. */
async function libraryRound(format: 1 | 2, tracks: number): Promise<(LibraryRound | Refusal) & { manifestBytes: number; parts: number }> {
  const site = await publishLibrary(format, tracks);
  const { manifestBytes, parts } = site.published;
  const browser = await launch();
  try {
    let page = await openPage(browser.context, site.url);
    await openCache(page, site.options);
    const before = await usage(page);
    let refused: { code: string; message: string } | undefined;
    const accepted = () => site.origin.wire.reduce((a, b) => a + b, 0);
    const acceptedBefore = accepted();
    const first = await step(browser.context, page, site, async () => {
      const t = performance.now();
      refused = await page.evaluate(() => (window as never as Record<string, any>).cache.sync().then(() => undefined, (e: Error) => ({ code: e.name as string, message: e.message })));
      return performance.now() - t;
    });
    first.what = 'the whole manifest';
    // What the origin's socket took before the client cut the body (the log counts what it queued).
    if (refused) return { ...refused, ms: first.ms, wire: accepted() - acceptedBefore, manifestBytes, parts };
    const unchanged = await step(browser.context, page, site, () => sync(page));
    const planMs: number[] = [];
    for (const p of OFFLINE) planMs.push(await page.evaluate((p) => {
      const t = performance.now();
      return (window as never as Record<string, any>).cache.setOffline(p, true).then(() => performance.now() - t);
    }, p));
    const planLongest = await workerLateness(page);
    // A reload: the page and its worker end; a new page of the same profile opens the store.
    await page.close();
    page = await openPage(browser.context, site.url);
    const reopen = await step(browser.context, page, site, () => openCache(page, site.options));
    const afterReload = await step(browser.context, page, site, () => sync(page));
    await site.publish('republish');
    const republished = await step(browser.context, page, site, () => sync(page));
    await site.publish('playlist');
    const playlistEdited = await step(browser.context, page, site, () => sync(page));
    const idbGrowth = (await usage(page)) - before;
    return { first, unchanged, planMs: planMs.sort((a, b) => a - b)[2]!, planLongest, reopen, afterReload, republished, playlistEdited, idbGrowth, manifestBytes, parts };
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

export async function largeLibrary(n = 3, sizes = [1_000, 10_000, 100_000], formats: readonly (1 | 2)[] = [1, 2]) {
  const out: Record<string, Partial<Record<'format1' | 'format2', Awaited<ReturnType<typeof libraryRound>>[]>>> = {};
  for (const tracks of sizes) {
    const bySize: Partial<Record<'format1' | 'format2', Awaited<ReturnType<typeof libraryRound>>[]>> = {};
    out[tracks] = bySize;
    for (const format of formats) {
      // 10,000 tracks (the aims): n rounds; 1,000 and 100,000: one round, to keep `npm run bench` near 10 minutes.
      const r = await rounds(tracks === 10_000 ? n : 1, () => libraryRound(format, tracks));
      bySize[`format${format}`] = r;
    }
  }
  return { playlists: PLAYLISTS, offline: OFFLINE, sizes: out };
}

type LibraryResult = Awaited<ReturnType<typeof largeLibrary>>;
type RoundResult = LibraryRound & { manifestBytes: number; parts: number };
const STEPS = [
  ['first', 'first sync'],
  ['unchanged', 'unchanged sync'],
  ['reopen', 'reload: openOfflineCache()'],
  ['afterReload', 'sync after the reload'],
  ['republished', 'one track re-published'],
  ['playlistEdited', 'one playlist edited'],
] as const;

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} KB` : `${b} B`);

/** The table of line 5: per size and format, each step's median over the rounds (max of the longest task). */
export function libraryTable(result: LibraryResult): string {
  const out = [
    '| tracks | format | step | time ms | manifest bytes on the wire | requests | longest task: heartbeat ms | trace: wall / thread ms | IndexedDB growth |',
    '| ---: | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const [tracks, byFormat] of Object.entries(result.sizes)) {
    for (const f of ['format1', 'format2'] as const) {
      const rounds = byFormat[f];
      if (!rounds?.length) continue;
      const name = f === 'format1' ? '1' : '2';
      const refused = rounds.find((r): r is Refusal & { manifestBytes: number; parts: number } => 'code' in r);
      if (refused) {
        out.push(`| ${Number(tracks).toLocaleString('en')} | ${name} | first sync **refused \`${refused.code}\`** (${kb(refused.manifestBytes)} manifest): ${refused.message.slice(0, 160)} | ${refused.ms.toFixed(0)} | ${kb(refused.wire)} taken by the socket | | | | |`);
        continue;
      }
      const rs = rounds as RoundResult[];
      for (const [key, label] of STEPS) {
        const steps = rs.map((r) => r[key]);
        const growth = key === 'first' ? `${kb(med(rs.map((r) => r.idbGrowth)))} (all steps)` : '';
        out.push(
          `| ${Number(tracks).toLocaleString('en')} | ${name} | ${label} | ${med(steps.map((s) => s.ms)).toFixed(0)} | ${kb(med(steps.map((s) => s.wire)))} | ${steps[0]!.requests} (${steps[0]!.what}) | ${Math.max(...steps.map((s) => s.longest)).toFixed(0)} | ${Math.max(...steps.map((s) => s.traceWallMs)).toFixed(0)} / ${Math.max(...steps.map((s) => s.threadMs)).toFixed(1)} | ${growth} |`,
        );
      }
    }
  }
  return out.join('\n');
}

// npx tsx test/bench/large-library.ts [tracks…]; LIBRARY_FORMATS=2 for one format.
if (import.meta.url === `file://${process.argv[1]}`) {
  const formats = (process.env.LIBRARY_FORMATS ?? '1,2').split(',').map(Number) as (1 | 2)[];
  const result = await largeLibrary(1, process.argv.slice(2).map(Number), formats);
  console.log(JSON.stringify(result, null, 1));
  console.log(libraryTable(result));
}
