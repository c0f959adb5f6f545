// Line 7 (issue 18): play while missing. After a security reset that finds a track's chunks
// damaged — behind a resync of a dozen other damaged tracks — the time from `audio.play()` on
// `trackUrl()` to the `playing` event ÷ the same MP3 played straight from the origin in the same
// page; and the bytes the origin sent for that track ÷ its damaged chunks (ideal 1: each fetched once).
// With `kept`, the played track came through the reset whole: what a listener gets who plays what
// was kept while the resync runs (the origin sends nothing for it).
import { bytesOf, chunkDigests } from '../helpers/catalog.js';
import { makeMp3 } from '../helpers/nginx.js';
import { launch } from '../browser/harness.js';
import { openPage, readableCacheWorker, readableServiceWorker, startBenchSite } from './lib/benchSite.js';
import { damageStore, reissue } from './lib/browserDamage.js';
import { rounds } from './lib/stats.js';
import { attachCacheWorker, attachServiceWorker, startProfile } from './lib/workerCdp.js';

const CHUNK = 256 * 1024;

export interface PlayMissingOptions {
  /** Tracks the resync downloads besides the played one (0: the play's path alone, no resync). */
  fillers?: number;
  fillerBytes?: number;
  /** The service worker and the cache worker are profiled during reprise's play (names kept: not for timing). */
  profile?: boolean;
  /** Every response body of the origin sent in slices of `bytes` every `everyMs` (a link slower than loopback, per connection). */
  pace?: { bytes: number; everyMs: number };
  /** The played track is not damaged: every chunk of it was kept (the fillers still are). */
  kept?: boolean;
}

export async function playWhileMissing(n = 3, o: PlayMissingOptions = {}) {
  const { fillers = 12, fillerBytes = 6_000_000, profile = false, pace, kept = false } = o;
  const song = await makeMp3(300);
  const fillerIds = Array.from({ length: fillers }, (_, i) => `f${i}`);
  const tracks = [...fillerIds.map((id) => ({ id, body: bytesOf(id, fillerBytes), mimeType: 'audio/mpeg' })), { id: 'song', body: song, mimeType: 'audio/mpeg' }];
  const digests = chunkDigests(song, CHUNK);
  // Every other chunk of the song, the first and the last among them (a tag reader reads the end).
  const bad = kept ? [] : digests.map((d, i) => ({ d, i })).filter(({ i }) => i % 2 === 0 || i === digests.length - 1);
  const missingBytes = bad.reduce((s, { i }) => s + Math.min(CHUNK, song.length - i * CHUNK), 0);
  const rows = await rounds(n, async (round) => {
    const site = await startBenchSite(tracks, [{ id: 'all', trackIds: tracks.map((t) => t.id), offline: true }], { readableWorker: profile });
    // Paced from the first play on: the origin's plays and reprise's share the same link.
    site.origin.pace = pace;
    const browser = await launch();
    try {
      const page = await openPage(browser.context, site.url);
      await page.evaluate(async (options) => {
        const w = window as never as Record<string, any>;
        w.cache = await w.openOfflineCache(options);
        await w.cache.sync();
        await w.cache.idle();
      }, site.options);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
      const playMs = (url: string) =>
        page.evaluate(async (url) => {
          const audio = new Audio();
          audio.muted = true;
          const playing = new Promise((resolve, reject) => {
            audio.addEventListener('playing', resolve, { once: true });
            audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}: ${audio.error?.message}`)), { once: true });
          });
          const t = performance.now();
          audio.src = url;
          await audio.play();
          await playing;
          const ms = performance.now() - t;
          audio.pause();
          audio.removeAttribute('src');
          audio.load();
          return ms;
        }, url);
      // The origin's figure is the median of three plays (distinct URLs: nothing from the HTTP cache).
      const direct = [await playMs(`/media/song?r=${round}a`), await playMs(`/media/song?r=${round}b`), await playMs(`/media/song?r=${round}c`)].sort((a, b) => a - b);
      const originMs = direct[1]!;
      // The damage, then the reset: every filler damaged too, so the resync has 72 MB to fetch first.
      await damageStore(page, [...bad.map((b) => b.d), ...fillerIds.flatMap((id) => chunkDigests(site.origin.files.get(`/media/${id}`)!.body, CHUNK).filter((_d, i) => i % 2 === 0))]);
      await reissue(site.origin, 2);
      site.origin.log.length = 0;
      const report = await page.evaluate(() => (window as never as Record<string, any>).cache.sync());
      // The same file straight from the origin while the resync runs (the device as busy as for
      // reprise's play), at another path: the bytes counted for the track stay reprise's.
      // Which of the two plays first alternates by round (the resync moves on meanwhile).
      site.origin.put('/plain/song', song, 'audio/mpeg');
      const busyFirst = round % 2 === 0;
      let originBusyMs = busyFirst ? await playMs(`/plain/song?r=${round}`) : 0;
      const url = await page.evaluate(() => (window as never as Record<string, any>).cache.trackUrl('song') as string);
      const targets = profile ? [await attachServiceWorker(browser.context, page), await attachCacheWorker(browser.context, page)] : [];
      const profilers = await Promise.all(targets.map(async (t, k) => startProfile(t, await (k === 0 ? readableServiceWorker() : readableCacheWorker()))));
      const repriseMs = await playMs(url);
      if (!busyFirst) originBusyMs = await playMs(`/plain/song?r=${round}`);
      const [serviceWorker, cacheWorker] = await Promise.all(profilers.map((p) => p.stop()));
      await Promise.all(targets.map((t) => t.detach()));
      await page.evaluate(() => (window as never as Record<string, any>).cache.idle());
      const fetched = site.origin.bytesSent('/media/song');
      return { originMs, originBusyMs, repriseMs, ratio: repriseMs / originMs, ratioBusy: repriseMs / originBusyMs, busyFirst, fetchedBytes: fetched, bytesRatio: fetched / missingBytes, corruptFound: report.corruptChunks as number, ...(profile ? { profile: { serviceWorker, cacheWorker } } : {}) };
    } finally {
      await browser.close();
      await site.origin.close();
    }
  });
  return { songBytes: song.length, missingBytes, missingChunks: bad.length, chunks: digests.length, fillers, fillerBytes, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await playWhileMissing(Number(process.argv[2] ?? 1)), null, 1));
