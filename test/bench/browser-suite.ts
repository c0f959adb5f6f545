// The browser benchmark suite of issue 16 (Chromium, real storage, reprise beside its baseline
// in the same run on the same bytes): each line's rounds, then the table rows it gives.
import { auditBench } from './audit-browser.js';
import { type LibraryRound, largeLibrary, libraryTable } from './large-library.js';
import { type Row, compare } from './lib/table.js';
import { loadAverage } from './lib/procStats.js';
import { downloadMemory, noServiceWorkerMemory } from './memory.js';
import { offlinePlaylist } from './offline-playlist.js';
import { playWhileMissing } from './play-missing.js';
import { profileCacheWorker } from './profile.js';
import { resetInBrowser } from './reset-browser.js';
import { seekVsWorkbox } from './seek-workbox.js';
import { type FloorMethod, storeFloor } from './store-floor.js';

const MB = 1e6;
const MIB = 1024 * 1024;
/** Line 7's slower link: 64 KiB every 10 ms per connection (~6.5 MB/s, a good mobile or Wi-Fi link). */
const PACED_LINK = { bytes: 64 * 1024, everyMs: 10 };
const atMost = (x: number) => ({ text: `≤ ${x}`, ok: (r: number) => r <= x });
const atLeast = (x: number) => ({ text: `≥ ${x}`, ok: (r: number) => r >= x });

type Line = (rounds: number) => Promise<{ raw: unknown; rows: (load: number) => Row[] }>;

export const LINES: Record<string, Line> = {
  async offline(n) {
    const raw = await offlinePlaylist(n);
    const v = (m: 'reprise' | 'cacheStorage' | 'naiveIdb', k: 'mbPerS' | 'cpuMsPerMb') => raw.rows.map((r) => r[k][m]);
    return {
      raw,
      rows: (load) => [
        compare('1 offline', `${raw.tracks} × ${raw.trackBytes / MB} MB, speed`, 'MB/s', v('reprise', 'mbPerS'), 'Cache Storage put', v('cacheStorage', 'mbPerS'), load, atLeast(0.9)),
        compare('1 offline', 'speed', 'MB/s', v('reprise', 'mbPerS'), 'naive fetch→digest→IDB put', v('naiveIdb', 'mbPerS'), load),
        compare('1 offline', 'CPU of all browser processes', 'ms/MB', v('reprise', 'cpuMsPerMb'), 'Cache Storage put', v('cacheStorage', 'cpuMsPerMb'), load, atMost(1.3)),
      ],
    };
  },
  async seek(n) {
    const raw = await seekVsWorkbox(n);
    const v = (k: 'ttfbMs' | 'wholeMs' | 'peakGrowthBytes', m: 'reprise' | 'workbox' | 'nginx', scale = 1) => raw.rows.map((r) => r[k][m] / scale);
    return {
      raw,
      rows: (load) => [
        compare('2 seek', '1 MiB Range in a 64 MiB track, TTFB', 'ms', v('ttfbMs', 'reprise'), 'workbox-range-requests', v('ttfbMs', 'workbox'), load, atMost(0.5)),
        compare('2 seek', 'TTFB', 'ms', v('ttfbMs', 'reprise'), 'nginx (issue 18)', v('ttfbMs', 'nginx'), load, atMost(1.5)),
        compare('2 seek', 'whole 1 MiB body', 'ms', v('wholeMs', 'reprise'), 'workbox-range-requests', v('wholeMs', 'workbox'), load),
        compare('2 seek', 'peak PSS growth, 20 seeks', 'MiB', v('peakGrowthBytes', 'reprise', MIB), 'workbox-range-requests', v('peakGrowthBytes', 'workbox', MIB), load),
      ],
    };
  },
  async audit(n) {
    const raw = await auditBench(n);
    const v = (m: 'reprise' | 'raw', k: 'mbPerS' | 'cpuMsPerMb') => raw.rows.map((r) => r[k][m]);
    const size = `${(raw.libraryBytes / 2 ** 30).toFixed(2)} GiB (${raw.tracks} tracks)`;
    return {
      raw,
      rows: (load) => [
        compare('3 audit', `verify() of ${size}`, 'MB/s', v('reprise', 'mbPerS'), 'raw IDB read + SHA-256', v('raw', 'mbPerS'), load, atLeast(0.85)),
        compare('3 audit', 'CPU of all browser processes', 'ms/MB', v('reprise', 'cpuMsPerMb'), 'raw IDB read + SHA-256', v('raw', 'cpuMsPerMb'), load),
      ],
    };
  },
  async 'reset-browser'(n) {
    const raw = await resetInBrowser(n);
    const v = (f: (r: (typeof raw.rows)[number]) => number) => raw.rows.map(f);
    const cap = `cap ${raw.cap / MB} MB/s`;
    return {
      raw,
      rows: (load) => [
        compare('4 reset', `bytes fetched ÷ damaged (${raw.tracks} × 2 MiB, ${cap})`, 'ratio', v((r) => r.reprise.fetchedPerDamaged), `wipe ${v((r) => r.wipe.fetchedPerDamaged)[0]!.toFixed(2)}; revision precache ${v((r) => r.precache.fetchedPerDamaged)[0]!.toFixed(2)} (leaves ${(v((r) => r.precache.corruptBytesLeft)[0]! / MIB).toFixed(1)} MiB corrupt)`, undefined, load, { text: '= 1', ok: (r) => Math.abs(r - 1) < 1e-9 }),
        compare('4 reset', 'bytes kept ÷ still good', 'ratio', v((r) => r.reprise.keptPerGood), 'wipe 0; revision precache 1 (and every corrupt byte)', undefined, load, { text: '= 1', ok: (r) => Math.abs(r - 1) < 1e-9 }),
        compare('4 reset', 'recent playlist whole again ÷ its damaged bytes at the cap', 'ratio', v((r) => r.reprise.recentPerIdeal), `wipe ${v((r) => r.wipe.recentPerIdeal)[0]!.toFixed(1)} (its whole playlist at the cap)`, undefined, load),
      ],
    };
  },
  async library(n) {
    const raw = await largeLibrary(n);
    // The full table (every size, format and step) is printed here; the rows carry issue 20's aims at 10,000 tracks.
    console.log(`\nLine 5, large library (Chromium; ${n} rounds at 10,000 tracks, 1 at 1,000 and 100,000; medians, the longest task is the worst round):\n${libraryTable(raw)}`);
    const rs = (raw.sizes[10_000]?.format2 ?? []).filter((r): r is LibraryRound & { manifestBytes: number; parts: number } => !('code' in r));
    const v = (f: (r: LibraryRound) => number) => rs.map(f);
    const longest = (r: LibraryRound) => Math.max(r.first.longest, r.unchanged.longest, r.afterReload.longest, r.republished.longest, r.playlistEdited.longest);
    const thread = (r: LibraryRound) => Math.max(r.first.threadMs, r.unchanged.threadMs, r.afterReload.threadMs, r.republished.threadMs, r.playlistEdited.threadMs);
    const f2at100k = raw.sizes[100_000]?.format2?.[0];
    return {
      raw,
      rows: (load) => [
        compare('5 library', '10,000 tracks format 2: unchanged sync', 'ms', v((r) => r.unchanged.ms), `${v((r) => r.unchanged.wire)[0]} body bytes`, undefined, load, atMost(100)),
        compare('5 library', 'unchanged sync on the wire', 'bytes', v((r) => r.unchanged.wire), '', undefined, load, atMost(4096)),
        compare('5 library', 'sync after a reload', 'ms', v((r) => r.afterReload.ms), `${v((r) => r.afterReload.wire)[0]} body bytes`, undefined, load, atMost(100)),
        compare('5 library', 'one track re-published, on the wire', 'bytes', v((r) => r.republished.wire), rs[0]?.republished.what ?? '', undefined, load, atMost(65_536)),
        compare('5 library', 'one playlist edited, on the wire', 'bytes', v((r) => r.playlistEdited.wire), rs[0]?.playlistEdited.what ?? '', undefined, load, atMost(65_536)),
        compare('5 library', "worker's longest task in these syncs (heartbeat)", 'ms', v(longest), `trace: most thread time of a task ${Math.max(...v(thread)).toFixed(1)} ms`, undefined, load, atMost(50)),
        compare('5 library', 'setOffline() replan of 5 × 100 tracks', 'ms', v((r) => r.planMs), '', undefined, load, atMost(300)),
        compare('5 library', '100,000 tracks format 2, default limits: first sync', 'ms', f2at100k && !('code' in f2at100k) ? [f2at100k.first.ms] : [NaN], f2at100k && 'code' in f2at100k ? `refused ${f2at100k.code}` : 'synced', undefined, load),
      ],
    };
  },
  async 'download-memory'(n) {
    const raw = await downloadMemory(n);
    const aim = 8 * 256 * 1024 * 3;
    return {
      raw,
      rows: (load) => [
        compare('6 memory', 'worker heap growth downloading 256 MiB: peak', 'MiB', raw.map((r) => r.workerHeapGrowth / MIB), `aim 8 × 256 KiB × 3 = ${aim / MIB} MiB`, undefined, load, atMost(aim / MIB)),
        compare('6 memory', 'worker heap held while downloading: peak after forced GCs (every 0.5 s)', 'MiB', raw.map((r) => r.workerHeapLive / MIB), '', undefined, load, atMost(aim / MIB)),
        compare('6 memory', 'worker heap retained after a GC', 'MiB', raw.map((r) => r.workerHeapRetained / MIB), '', undefined, load, atMost(aim / MIB)),
        compare('6 memory', 'PSS growth of all browser processes (peak)', 'MiB', raw.map((r) => r.pssGrowth / MIB), '', undefined, load),
      ],
    };
  },
  async 'play-missing'(n) {
    // One play per reset, on a shared machine: at least 5 rounds.
    const plays = Math.max(n, 5);
    const raw = await playWhileMissing(plays);
    // Where the time goes: the same play with no resync running (the path's own cost), and on a
    // link slower than loopback (6.5 MB/s per connection), where a whole chunk must arrive before
    // its first byte is served (security rule 5) while the origin's play starts on its first bytes.
    const alone = await playWhileMissing(plays, { fillers: 0 });
    const paced = await playWhileMissing(plays, { pace: PACED_LINK });
    // The headline's other half: a track the reset kept whole, played while the resync runs.
    const kept = await playWhileMissing(plays, { kept: true });
    return {
      raw: { ...raw, alone, paced, kept },
      rows: (load) => [
        compare('7 play missing', `time to first audio, ${raw.missingChunks} of ${raw.chunks} chunks damaged, behind a resync`, 'ms', raw.rows.map((r) => r.repriseMs), 'straight from the origin', raw.rows.map((r) => r.originMs), load, atMost(1.2)),
        compare('7 play missing', 'the same play; baseline: the origin while the same resync runs (the order alternates by round)', 'ms', raw.rows.map((r) => r.repriseMs), 'straight from the origin, resync running', raw.rows.map((r) => r.originBusyMs), load),
        compare('7 play missing', 'the same play with no resync running (the path alone)', 'ms', alone.rows.map((r) => r.repriseMs), 'straight from the origin', alone.rows.map((r) => r.originMs), load),
        compare('7 play missing', `the same play behind the resync, the origin sending ${PACED_LINK.bytes / 1024} KiB per ${PACED_LINK.everyMs} ms per connection (chunk 256 KiB)`, 'ms', paced.rows.map((r) => r.repriseMs), 'straight from the same origin', paced.rows.map((r) => r.originMs), load),
        compare('7 play missing', 'bytes fetched for the track ÷ its missing chunks', 'ratio', raw.rows.map((r) => r.bytesRatio), '', undefined, load, { text: '= 1', ok: (r) => Math.abs(r - 1) < 1e-9 }),
        compare('7 play missing', 'a kept track (every chunk stored) played behind the same resync', 'ms', kept.rows.map((r) => r.repriseMs), 'straight from the origin', kept.rows.map((r) => r.originMs), load),
        compare('7 play missing', 'the same kept track: bytes the origin sent for it', 'bytes', kept.rows.map((r) => r.fetchedBytes), '', undefined, load, { text: '= 0', ok: (r) => r === 0 }),
      ],
    };
  },
  async 'no-sw'(n) {
    const raw = await noServiceWorkerMemory(n);
    return {
      raw,
      rows: (load) => [
        // Issue 18 bounds the page's and the worker's memory: in Chromium both run in the renderer
        // process, with the media element's pipeline; the browser process also runs IndexedDB's backend.
        compare('8 no SW', "Chromium: 200 MB WAV via getTrack() + object URL: the page's process (page, cache worker, media element), growth until getTrack() resolved", 'MB', raw.map((r) => r.pageGetTrackGrowth / MB), 'aim (issue 18)', undefined, load, atMost(32)),
        compare('8 no SW', "Chromium: the page's process, growth with play and 5 seeks", 'MB', raw.map((r) => r.pageGrowth / MB), "the origin's URL played and sought the same way", withOrigin(raw, (o) => o.page / MB), load, { ...atMost(32), on: 'reprise' }),
        compare('8 no SW', 'Chromium: every browser process (also IndexedDB\'s backend), PSS growth until getTrack() resolved', 'MB', raw.map((r) => r.getTrackGrowth / MB), '', undefined, load),
        compare('8 no SW', 'Chromium: every browser process, PSS growth with play and 5 seeks', 'MB', raw.map((r) => r.pssGrowth / MB), "the origin's URL played and sought the same way", withOrigin(raw, (o) => o.whole / MB), load),
        compare('8 no SW', 'Chromium: time to first audio', 'ms', raw.map((r) => r.firstAudioMs), '', undefined, load),
        ...webkitRows(raw, load),
      ],
    };
  },
  async floor(n) {
    const raw = await storeFloor(n);
    const v = (m: FloorMethod, k: 'mbPerS' | 'cpuMsPerMb') => raw.rows.map((r) => r[k][m]);
    const peer = (figure: string, m: FloorMethod, load: number) => [
      compare('9 floor', `${figure}: speed`, 'MB/s', v(m, 'mbPerS'), 'Cache Storage put', v('cacheStorage', 'mbPerS'), load),
      compare('9 floor', `${figure}: CPU of all browser processes`, 'ms/MB', v(m, 'cpuMsPerMb'), 'Cache Storage put', v('cacheStorage', 'cpuMsPerMb'), load),
    ];
    return {
      raw,
      rows: (load) => [
        ...peer('bodies read into a worker, nothing else', 'readOnly', load),
        ...peer('+ SHA-256 + OPFS, one file per track', 'opfsPerTrack', load),
        ...peer(`+ SHA-256 + OPFS, one file per chunk (${raw.rows.filter((r) => r.hung.includes('opfsPerChunk')).length} of ${raw.rows.length} runs hung)`, 'opfsPerChunk', load),
      ],
    };
  },
  async profile() {
    const raw = await profileCacheWorker();
    return { raw, rows: () => [] };
  },
};

/** Runs `names` one after another; each line's rows carry the load average seen while it ran. */
export async function runBrowserSuite(names: string[], rounds: number, log: (s: string) => void) {
  const raw: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const name of names) {
    const started = performance.now();
    const before = loadAverage();
    const result = await LINES[name]!(rounds);
    const load = (before + loadAverage()) / 2;
    raw[name] = result.raw;
    rows.push(...result.rows(load));
    log(`  ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s, load ${load.toFixed(1)}`);
  }
  return { raw, rows };
}

/** Line 8's baseline by round; NaN for a round whose play of the origin's URL did not end. */
function withOrigin(raw: Awaited<ReturnType<typeof noServiceWorkerMemory>>, pick: (o: { whole: number; page: number }) => number): number[] {
  return raw.map((r) => (r.origin ? pick(r.origin) : NaN));
}

/**
 * Line 8's WebKit rows over the rounds that have a measurement: WebKitGTK's media player now and
 * then fails a large Blob before playing (media error 4), and a round whose three runs all failed
 * has none. The rows say how many runs failed.
 */
function webkitRows(raw: Awaited<ReturnType<typeof noServiceWorkerMemory>>, load: number) {
  const measured = raw.flatMap((r) => (r.webkit.pssGrowth !== undefined ? [r.webkit as Required<typeof r.webkit>] : []));
  const failed = raw.reduce((n, r) => n + r.webkit.failedRuns.length, 0);
  const note = `${measured.length} of ${raw.length} rounds; ${failed} runs failed by WebKitGTK's media player (media error 4) and were run again`;
  if (measured.length === 0) return [compare('8 no SW', `WebKit (persistent store): no measurement (${note})`, 'MB', [NaN], '', undefined, load)];
  return [
    compare('8 no SW', `WebKit (persistent store): the page's process (WebKitWebProcess), growth until getTrack() resolved (${note})`, 'MB', measured.map((w) => w.pageGetTrackGrowth / MB), 'aim (issue 18)', undefined, load, atMost(32)),
    compare('8 no SW', 'WebKit: every browser process (also its network process, which stores), PSS growth until getTrack() resolved', 'MB', measured.map((w) => w.getTrackGrowth / MB), '', undefined, load),
    compare('8 no SW', "WebKit: with play and 5 seeks (WebKitGTK's GStreamer holds the WAV it read, from any source)", 'MB', measured.map((w) => w.pssGrowth / MB), '', undefined, load),
    compare('8 no SW', 'WebKit: time to first audio', 'ms', measured.map((w) => w.firstAudioMs), '', undefined, load),
  ];
}
