// Line 4: the reset scenario in Chromium (the Node version is reset-scenario.ts): a library of
// 60 tracks × 2 MiB in 10 playlists, complete at epoch 1; then per playlist 10 % of chunks
// corrupted in IndexedDB, and of all tracks 5 % deleted on the device and 5 % changed on the
// server; the app restarts and syncs the epoch-2 manifest at a 4 MB/s cap. Measured: bytes
// fetched ÷ damaged, bytes kept ÷ still good, time until the most recently played playlist is
// whole again ÷ its damaged bytes at the cap (ideal). Beside it, computed on the same damage:
// wipe-and-redownload, and a revision-based precache (Workbox-style) that re-fetches every file
// whose revision changed and every entry missing from its cache, and never reads stored bytes
// (so it keeps every good byte and every corrupt one: `corruptBytesLeft` are served as they are).
import { createHash } from 'node:crypto';
import { bytesOf, chunkDigests } from '../helpers/catalog.js';
import { launch } from '../browser/harness.js';
import { openPage, startBenchSite } from './lib/benchSite.js';
import { damageStore, reissue } from './lib/browserDamage.js';
import { rounds } from './lib/stats.js';

const CHUNK = 256 * 1024;
const CAP = 4_000_000;

/** `xs` in an order fixed by the seed: sorted by SHA-256 of seed and item. */
const seeded = <T>(xs: T[], seed: string, name: (x: T) => string) => [...xs].sort((a, b) => (createHash('sha256').update(seed + name(a)).digest('hex') < createHash('sha256').update(seed + name(b)).digest('hex') ? -1 : 1));

export async function resetInBrowser(n = 3, tracks = 60, trackBytes = 2 * 1024 * 1024, playlistCount = 10) {
  const ids = Array.from({ length: tracks }, (_, i) => `r${String(i).padStart(2, '0')}`);
  const per = tracks / playlistCount;
  const playlists = Array.from({ length: playlistCount }, (_, p) => ({ id: `pl${p}`, trackIds: ids.slice(p * per, (p + 1) * per), offline: true }));
  // A round that does not end says where it stopped and is run once more (the suite goes on).
  const rows = await rounds(n, (round) =>
    once(round).catch((error: Error) => {
      if (!/did not end/.test(error.message)) throw error;
      console.log(`  ${error.message}; run again`);
      return once(round);
    }),
  );
  return finish(rows);

  async function once(round: number) {
    const seed = `reset-${round}`;
    const bodies = new Map(ids.map((id) => [id, bytesOf(`${seed}:${id}`, trackBytes)]));
    const site = await startBenchSite(ids.map((id) => ({ id, body: bodies.get(id)!, mimeType: 'audio/mpeg' })), playlists);
    const browser = await launch();
    try {
      let page = await openPage(browser.context, site.url);
      const recent = playlists[playlists.length - 1]!;
      const setup = await page.evaluate(async ({ options, first }) => {
        const w = window as never as Record<string, any>;
        const stuck = new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 120_000));
        // Where it stopped, and whether the cache worker still answers (status()).
        const step = async (name: string, p: () => Promise<unknown>) => {
          if ((await Promise.race([p(), stuck])) !== 'stuck') return undefined;
          const answer = await Promise.race([w.cache?.status().then((st: { state: unknown }) => `status() answers, state ${JSON.stringify(st.state)}`, (e: Error) => `status() fails: ${e.message}`), new Promise((r) => setTimeout(() => r('status() does not answer within 5 s'), 5000))]);
          return `${name}; ${answer}`;
        };
        return (
          (await step('openOfflineCache()', async () => (w.cache = await w.openOfflineCache({ ...options, serviceWorker: false })))) ??
          (await step('sync()', () => w.cache.sync())) ??
          (await step('idle()', () => w.cache.idle())) ??
          (await step('getTrack()', () => w.cache.getTrack(first))) ?? // the most recently played playlist
          (await step('close()', () => w.cache.close()))
        );
      }, { options: site.options, first: recent.trackIds[0]! });
      if (setup) throw new Error(`reset-browser round ${round}: the first install did not end (at ${setup})`);
      // The damage, spread over the playlists: one track per playlist deleted or changed while 5 % each last.
      const fivePercent = Math.round(tracks * 0.05);
      const deleted = new Set<string>();
      const changed = new Set<string>();
      const corrupt = new Set<string>();
      playlists.forEach((p, k) => {
        const [pick] = seeded(p.trackIds, seed, (x) => x);
        if (k < 2 * fivePercent) (k % 2 ? changed : deleted).add(pick!);
        const chunks = p.trackIds.filter((id) => !deleted.has(id)).flatMap((id) => chunkDigests(bodies.get(id)!, CHUNK));
        for (const d of seeded(chunks, seed, (x) => x).slice(0, Math.round(chunks.length * 0.1))) corrupt.add(d);
      });
      await damageStore(page, [...corrupt], [...deleted].flatMap((id) => chunkDigests(bodies.get(id)!, CHUNK)));
      const fresh = new Map([...changed].map((id) => [id, bytesOf(`${seed}:${id}:v2`, trackBytes)]));
      await reissue(site.origin, 2, fresh);
      // Ground truth per track: damaged bytes (to fetch) and good bytes (to keep).
      const damagedOf = (id: string) => {
        if (deleted.has(id) || changed.has(id)) return trackBytes; // changed: every chunk's digest is new
        return chunkDigests(bodies.get(id)!, CHUNK).filter((d) => corrupt.has(d)).length * CHUNK;
      };
      const damaged = ids.reduce((s, id) => s + damagedOf(id), 0);
      const good = tracks * trackBytes - damaged;
      const recentDamaged = recent.trackIds.reduce((s, id) => s + damagedOf(id), 0);
      site.origin.log.length = 0;
      // The app starts again (a new page, a new cache worker) and syncs at the cap.
      await page.close();
      page = await openPage(browser.context, site.url);
      const r = await page.evaluate(
        async ({ options, pending, cap }) => {
          const w = window as never as Record<string, any>;
          const cache = await w.openOfflineCache({ ...options, serviceWorker: false, throttle: { bytesPerSecond: cap, maxConcurrent: 3 } });
          const waiting = new Set<string>(pending);
          const t = performance.now();
          const recentReady = new Promise<number>((resolve) => {
            if (waiting.size === 0) resolve(0);
            cache.on('track-complete', ({ trackId }: { trackId: string }) => {
              waiting.delete(trackId);
              if (waiting.size === 0) resolve(performance.now() - t);
            });
          });
          // A round that does not end in 150 s is reported with the engine's view (the suite goes on).
          const stuck = new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 150_000));
          const report = await Promise.race([cache.sync(), stuck]);
          const recentMs = report === 'stuck' ? 'stuck' : await Promise.race([recentReady, stuck]);
          const idle = recentMs === 'stuck' ? 'stuck' : await Promise.race([cache.idle(), stuck]);
          if (report === 'stuck' || recentMs === 'stuck' || idle === 'stuck') {
            const st = await Promise.race([cache.status(), new Promise((r) => setTimeout(() => r('no status'), 5000))]);
            return { stuck: `at ${report === 'stuck' ? 'sync()' : recentMs === 'stuck' ? 'the recent playlist' : 'idle()'}; waiting for ${[...waiting].join(',')}; status ${JSON.stringify(st).slice(0, 1500)}` };
          }
          return { recentMs, totalMs: performance.now() - t, kept: report.kept.bytes as number, kind: report.kind as string, corruptFound: report.corruptChunks as number };
        },
        { options: site.options, pending: recent.trackIds.filter((id) => damagedOf(id) > 0), cap: CAP },
      );
      if ('stuck' in r) throw new Error(`reset-browser round ${round} did not end: ${r.stuck}`);
      const fetched = site.origin.bytesSent('/media/');
      const idealMs = (recentDamaged / CAP) * 1000;
      const precacheFetched = [...deleted, ...changed].length * trackBytes;
      return {
        damaged,
        good,
        fetched,
        reprise: { fetchedPerDamaged: fetched / damaged, keptPerGood: r.kept / good, recentPerIdeal: r.recentMs / idealMs, recentMs: r.recentMs, totalMs: r.totalMs, kind: r.kind, corruptFound: r.corruptFound },
        wipe: { fetchedPerDamaged: (tracks * trackBytes) / damaged, keptPerGood: 0, recentPerIdeal: (per * trackBytes) / recentDamaged },
        precache: { fetchedPerDamaged: precacheFetched / damaged, keptPerGood: 1, corruptBytesLeft: corrupt.size * CHUNK },
        idealMs,
      };
    } finally {
      await browser.close();
      await site.origin.close();
    }
  }

  function finish(rows: Awaited<ReturnType<typeof once>>[]) {
    return { tracks, trackBytes, playlists: playlistCount, cap: CAP, rows };
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await resetInBrowser(1), null, 1));
