// Line 5 (issue 20 item 6): a library of 10,000 tracks (3–9 MB, 256 KiB chunks) in 100
// playlists, format 1 and format 2, in Chromium's cache worker with its real IndexedDB: the first
// sync (fetch, verify, parse, plan), an unchanged sync (bytes on the wire and time; the origin
// answers the root with an ETag and 304 to If-None-Match, as a CDN would), a replan
// (setOffline of one playlist), and the worker's longest task (a heartbeat in the worker
// measuring its own lateness). Nothing is downloaded: the engine is paused before the replans.
import { createHash } from 'node:crypto';
import { assembleManifest } from '../../src/publish/assembleManifest.js';
import { createSigner } from '../../src/publish/createSigner.js';
import { key, sign } from '../helpers/catalog.js';
import { rootValidators } from '../helpers/publishV2.js';
import { launch } from '../browser/harness.js';
import { userLibrary } from './manifest-scale.js';
import { openPage, startBenchSite, workerLateness } from './lib/benchSite.js';
import { rounds } from './lib/stats.js';

const CHUNK = 262_144;

/** The same library as manifest-scale's userLibrary (media i = track i mod 2,000), in 100 playlists. */
function library(tracks: number, playlistCount = 100) {
  const lib = userLibrary(tracks);
  const per = Math.ceil(tracks / playlistCount);
  const playlists = Array.from({ length: playlistCount }, (_, p) => ({ id: `p${p}`, name: `Playlist ${p}`, trackIds: lib.tracks.slice(p * per, (p + 1) * per).map((t) => t.id) }));
  return { ...lib, playlists };
}

/** A site serving the library in `format`, the root with an ETag (304 to If-None-Match). */
export async function publishLibrary(format: 1 | 2, tracks: number, readableWorker = false) {
  const lib = library(tracks);
  const site = await startBenchSite([], [], { heartbeat: true, readableWorker });
  const { origin } = site;
  if (format === 2) {
    for (const [contentId, list] of lib.index.chunkLists()) origin.put(`/index/${contentId}`, list, 'application/octet-stream');
    const signer = await createSigner({ privateJwk: { ...(await key('k1')).privateJwk, kid: 'k1' } });
    const assembled = await assembleManifest({ tracks: lib.tracks, playlists: lib.playlists, signer, securityEpoch: 1, version: 1 });
    for (const part of assembled.parts) origin.put(`/${part.url}`, part.body, 'application/json');
    origin.put('/manifest.jws', assembled.jws, 'application/jose');
  } else {
    const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
    const v1Tracks = lib.tracks.map((t, n) => {
      const i = n % 2_000;
      const size = 3_000_000 + ((i * 7919) % 6_000_000);
      return { id: t.id, url: `media/m${i}.mp3`, mimeType: 'audio/mpeg', size, chunkSize: CHUNK, chunks: Array.from({ length: Math.ceil(size / CHUNK) }, (_, c) => digest(`${i}:${c}`)) };
    });
    origin.put('/manifest.jws', await sign({ format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: new Date().toISOString(), playlists: lib.playlists, tracks: v1Tracks }, 'k1'), 'application/jose');
  }
  rootValidators(origin);
  return site;
}

export async function largeLibrary(n = 3, tracks = 10_000) {
  const out: Record<'format1' | 'format2', unknown[]> = { format1: [], format2: [] };
  for (const format of [1, 2] as const) {
    const site = await publishLibrary(format, tracks);
    const manifestBytes = [...site.origin.files].filter(([p]) => !p.startsWith('/reprise') && !p.startsWith('/index/') && !p.endsWith('.html') && !p.endsWith('sw.js')).reduce((s, [, f]) => s + f.body.length, 0);
    try {
      out[`format${format}`] = await rounds(n, async () => {
        const browser = await launch();
        try {
          const page = await openPage(browser.context, site.url);
          await page.evaluate(async (options) => {
            const w = window as never as Record<string, any>;
            w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
          }, site.options);
          const call = (what: string) => page.evaluate(async (what) => {
            const cache = (window as never as Record<string, any>).cache;
            const t = performance.now();
            if (what === 'sync') await cache.sync();
            if (what === 'pause') await cache.pause();
            if (what.startsWith('offline:')) await cache.setOffline(what.slice(8), true);
            return performance.now() - t;
          }, what);
          await workerLateness(page);
          site.origin.log.length = 0;
          const firstMs = await call('sync');
          const firstWire = site.origin.bytesSent();
          const firstLongest = await workerLateness(page);
          site.origin.log.length = 0;
          const unchangedMs = await call('sync');
          const unchangedWire = site.origin.bytesSent();
          const unchangedStatus = site.origin.log.map((r) => r.path).join(' ');
          const unchangedLongest = await workerLateness(page);
          await call('pause');
          const planMs: number[] = [];
          for (let p = 0; p < 5; p++) planMs.push(await call(`offline:p${p * 20}`));
          const planLongest = await workerLateness(page);
          return { firstMs, firstWire, firstLongest, unchangedMs, unchangedWire, unchangedRequests: unchangedStatus, unchangedLongest, planMs: planMs.sort((a, b) => a - b)[2]!, planLongest };
        } finally {
          await browser.close();
        }
      });
      (out[`format${format}`] as { manifestBytes?: number }[]).forEach((r) => (r.manifestBytes = manifestBytes));
    } finally {
      await site.origin.close();
    }
  }
  return { tracks, playlists: 100, ...out };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await largeLibrary(1, Number(process.argv[2] ?? 10_000)), null, 1));
