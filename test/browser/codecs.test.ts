// Real codecs through reprise, in each engine: MP3, AAC (.m4a), Opus in WebM and in Ogg, Vorbis,
// FLAC, ALAC (.m4a) and WAV (test/fixtures/codecs/makeCodecFixtures.ts), published by the manifest
// tool (src/cli/buildManifest.ts: its mimeType per extension and its tags), in 64 KiB chunks so
// that the three seek points lie in three chunks. Each codec the engine plays straight from the
// origin must also play and seek through the service worker (trackUrl()) and through getTrack()
// with an object URL (serviceWorker: false), online and offline after a reload. A codec the engine
// cannot even start from the origin is "not supported by the engine": printed, not a failure
// (and canPlayType must agree). The matrix is printed for CI and written up in docs/codecs.md.
//
//   npm run build && npx vitest run --project browser test/browser/codecs.test.ts
import { afterAll, expect } from 'vitest';
import { buildManifest } from '../../src/cli/buildManifest.js';
import type { Manifest } from '../../src/manifest/schema.js';
import { type CodecFixture, MAX_BYTES, SECONDS, makeCodecFixtures } from '../fixtures/codecs/makeCodecFixtures.js';
import { key } from '../helpers/catalog.js';
import { type EnginePage, eachEngine, openCache, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
/** Where each run seeks to, as fractions of the duration: the start, the middle and the end chunk. */
const SEEKS = [0.2, 0.55, 0.85];
/** How far the clock must move after `playing` and after each `seeked` (s). */
const ADVANCE = 0.25;
/** A seek lands within this of its target (s): browsers seek to the sample or to a frame near it. */
const LANDING = 0.75;

const fixtures = await makeCodecFixtures();

/** One run: play until `playing`, then seek to each of SEEKS and play on. */
interface Run {
  /** What failed and where (null: everything happened). */
  error: string | null;
  stage: string;
  duration: number;
  seeks: { target: number; landed: number; after: number }[];
  /** The Blob's size and type (getTrack() runs). */
  blob?: { size: number; type: string };
  ms: number;
}

/** The origin's URL of a file, or a track played through reprise. */
type Source = { src: string; trackId?: undefined; via?: undefined } | { src?: undefined; trackId: string; via: 'trackUrl' | 'getTrack' };

/**
 * Plays each source (the origin's URL of a file, or `getTrack(trackId)` as an object URL, or
 * `trackUrl(trackId)`) in an `<audio>` of its own, all at once, driven by each element's events
 * with a bound on each wait; reports what happened rather than throwing, so that one codec's
 * failure does not hide the others'.
 */
function exercise(page: EnginePage, sources: Source[]): Promise<Run[]> {
  return page.evaluate(
    async ({ sources, seeks, advance }) => {
      const { cache } = window as never as { cache: { getTrack(id: string): Promise<Blob>; trackUrl(id: string): string } };
      const one = async ({ src, trackId, via }: Source): Promise<Run> => {
        const audio = document.createElement('audio');
        audio.preload = 'auto';
        const started = performance.now();
        const run: Run = { error: null, stage: 'load', duration: NaN, seeks: [], ms: 0 };
        let url: string | null = null;
        // `ended` and the buffered ranges: seen once in CI (Firefox, WAV through the service worker,
        // 2026-12-01), `seeked` for 8.50 s of 10.00 s with the element at 10.00 s and stopped.
        const state = () => `currentTime ${audio.currentTime.toFixed(2)}, readyState ${audio.readyState}, networkState ${audio.networkState}, paused ${audio.paused}, ended ${audio.ended}, buffered ${Array.from({ length: audio.buffered.length }, (_, i) => `${audio.buffered.start(i).toFixed(2)}–${audio.buffered.end(i).toFixed(2)}`).join(' ') || 'none'}`;
        /** Resolves once `done()`, checked on each of `events`; rejects on a media error or after 10 s. */
        const until = (what: string, done: () => boolean, events: string[]) =>
          new Promise<void>((resolve, reject) => {
            const types = [...events, 'timeupdate', 'error'];
            const finish = (e?: Error) => {
              clearTimeout(timer);
              for (const t of types) audio.removeEventListener(t, check);
              if (e) reject(e);
              else resolve();
            };
            const check = () => {
              if (audio.error) finish(new Error(`media error ${audio.error.code}${audio.error.message ? `: ${audio.error.message}` : ''}`));
              else if (done()) finish();
            };
            const timer = setTimeout(() => finish(new Error(`no ${what} within 10 s (${state()})`)), 10_000);
            for (const t of types) audio.addEventListener(t, check);
            check();
          });
        try {
          if (via === 'getTrack') {
            run.stage = 'getTrack';
            const blob = await cache.getTrack(trackId);
            run.blob = { size: blob.size, type: blob.type };
            url = URL.createObjectURL(blob);
          } else if (via === 'trackUrl') {
            run.stage = 'trackUrl';
            url = cache.trackUrl(trackId);
          }
          run.stage = 'play';
          let playing = false;
          audio.addEventListener('playing', () => (playing = true), { once: true });
          audio.src = url ?? src!;
          await audio.play();
          await until('playing', () => playing && audio.currentTime > advance, ['playing']);
          run.duration = audio.duration;
          for (const fraction of seeks) {
            const target = audio.duration * fraction;
            run.stage = `seek to ${target.toFixed(2)} s`;
            let seeked = false;
            audio.addEventListener('seeked', () => (seeked = true), { once: true });
            audio.currentTime = target;
            await until('seeked', () => seeked, ['seeked']);
            const landed = audio.currentTime;
            if (audio.paused) await audio.play();
            run.stage = `play on from ${landed.toFixed(2)} s (asked ${target.toFixed(2)} s of ${audio.duration.toFixed(2)} s)`;
            await until('time advancing', () => audio.currentTime > landed + advance, []);
            run.seeks.push({ target, landed, after: audio.currentTime });
          }
          run.stage = 'done';
        } catch (e) {
          run.error = `${(e as Error).name}: ${(e as Error).message}`;
        } finally {
          audio.pause();
          audio.removeAttribute('src');
          audio.load();
          if (url && via === 'getTrack') URL.revokeObjectURL(url);
        }
        run.ms = Math.round(performance.now() - started);
        return run;
      };
      return Promise.all(sources.map(one));
    },
    { sources, seeks: SEEKS, advance: ADVANCE },
  );
}

/** A run that did everything, checked against the origin's own run of the same file. */
function expectPlayedAndSeeked(run: Run, origin: Run, fixture: CodecFixture, what: string): void {
  expect(run.error, `${fixture.label} ${what}: ${run.stage}`).toBeNull();
  expect(Math.abs(run.duration - origin.duration), `${fixture.label} ${what}: duration ${run.duration}, from the origin ${origin.duration}`).toBeLessThan(0.1);
  expect(run.seeks).toHaveLength(SEEKS.length);
  for (const s of run.seeks) {
    expect(Math.abs(s.landed - s.target), `${fixture.label} ${what}: seek to ${s.target} landed at ${s.landed}`).toBeLessThan(LANDING);
    expect(s.after).toBeGreaterThan(s.landed + ADVANCE);
  }
}

type Path = 'origin' | 'sw' | 'nosw' | 'sw-offline' | 'nosw-offline';
const PATHS: Path[] = ['sw', 'nosw', 'sw-offline', 'nosw-offline'];

/** A matrix cell: ✓ (played and seeked), ✗ (the failure), — (the engine lacks the codec). */
function cell(run: Run | undefined, supported: boolean): string {
  if (!supported) return '—';
  if (!run) return '(not run)';
  return run.error ? `✗ ${run.stage}: ${run.error}` : `✓ ${(run.ms / 1000).toFixed(1)} s`;
}

eachEngine('codecs: MP3, AAC, Opus (WebM, Ogg), Vorbis, FLAC, ALAC, WAV', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let page: EnginePage;
  let manifest: Manifest;
  /** Track id of each fixture in the manifest the tool built. */
  const idOf = new Map<string, string>();
  const canPlay = new Map<string, string>();
  const supported = new Map<string, boolean>();
  const runs = new Map<string, Partial<Record<Path, Run>>>();
  const record = (f: CodecFixture, path: Path, run: Run) => runs.set(f.id, { ...runs.get(f.id), [path]: run });

  /** Runs every supported codec through `path`, records the runs, then asserts them (all recorded first). */
  const playEach = async (path: Path, via: 'trackUrl' | 'getTrack') => {
    const played = fixtures.filter((f) => supported.get(f.id));
    const results = await exercise(page, played.map((f) => ({ trackId: idOf.get(f.id)!, via })));
    // WebKitGTK's player now and then stalls a file after its first frames (readyState 2, no
    // request pending) on a loaded machine — seen in CI for the service-worker path only, where a
    // log in the service worker showed the whole track served and its body read to the end. As
    // for the origin's plays above: when the track answers whole (checked here), it is played once more.
    if (suite.engine.name === 'webkit') {
      const stalled = played.map((f, i) => ({ f, i })).filter(({ i }) => results[i]!.stage === 'play' && /^Error: no playing/.test(results[i]!.error ?? ''));
      if (stalled.length) {
        const answered = await page.evaluate(
          (ids) => Promise.all(ids.map(async ({ id, via }) => { const { cache } = window as never as { cache: any }; return via === 'getTrack' ? (await cache.getTrack(id)).size : (await (await fetch(cache.trackUrl(id))).arrayBuffer()).byteLength; })),
          stalled.map(({ f }) => ({ id: idOf.get(f.id)!, via })),
        );
        stalled.forEach(({ f }, k) => expect(answered[k], `${f.label} ${path}: the whole track answers after the stall`).toBe(f.body.length));
        console.log(`[webkit] ${path}: played again after the player stalled (the track answered whole): ${stalled.map(({ f, i }) => `${f.label} (${results[i]!.error})`).join('; ')}`);
        const again = await exercise(page, stalled.map(({ f }) => ({ trackId: idOf.get(f.id)!, via })));
        stalled.forEach(({ i }, k) => (results[i] = again[k]!));
      }
    }
    played.forEach((f, i) => record(f, path, results[i]!));
    for (const f of fixtures) {
      if (!supported.get(f.id)) continue;
      const run = runs.get(f.id)![path]!;
      expectPlayedAndSeeked(run, runs.get(f.id)!.origin!, f, path);
      if (run.blob) expect(run.blob).toEqual({ size: f.body.length, type: manifest.tracks.find((t) => t.id === idOf.get(f.id))!.mimeType });
    }
  };
  const reloadAndOpen = async (serviceWorker: boolean) => {
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    await openCache(page, serviceWorker ? site.options : { ...site.options, serviceWorker: false });
    if (serviceWorker) await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  };

  afterAll(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
    if (!supported.size) return;
    const e = suite.engine.name;
    const lines = [`[${e}] codec matrix (✓ played, seeked to ${SEEKS.map((s) => `${Math.round(s * 100)} %`).join(', ')} and played on; — the engine cannot play it from the origin either):`];
    lines.push(`[${e}]   ${'codec'.padEnd(24)} ${'canPlayType'.padEnd(11)} ${['origin', ...PATHS].map((p) => p.padEnd(14)).join(' ')}`);
    for (const f of fixtures) {
      const r = runs.get(f.id) ?? {};
      const origin = supported.get(f.id) ? cell(r.origin, true) : r.origin ? '— (see above)' : '(not run)';
      lines.push(`[${e}]   ${f.label.padEnd(24)} ${(canPlay.get(f.id) || '""').padEnd(11)} ${[origin, ...PATHS.map((p) => cell(r[p], supported.get(f.id)!))].map((c) => c.padEnd(14)).join(' ')}`);
    }
    console.log(lines.join('\n'));
  });

  suite.test('publishes each fixture (≤ 200 kB, several chunks) and finds which codecs the engine plays from the origin', {}, async () => {
    const { privateJwk } = await key('k1');
    const built = await buildManifest({ dir: fixtures[0]!.path.replace(/\/[^/]+$/, ''), baseUrl: 'media/', privateJwk, epoch: 1, chunkSize: CHUNK, playlists: [{ name: 'codecs', glob: '**', offline: true }] });
    manifest = built.manifest;
    site = await startSite([], [], CHUNK);
    site.origin.put('/manifest.jws', built.jws, 'application/jose');
    for (const f of fixtures) {
      expect(f.body.length).toBeLessThanOrEqual(MAX_BYTES);
      expect(Math.ceil(f.body.length / CHUNK)).toBeGreaterThanOrEqual(2);
      const track = manifest.tracks.find((t) => t.url === `media/${f.id}.${f.ext}`);
      expect(track, `${f.label} is in the manifest`).toBeDefined();
      expect(track!.durationSeconds, `${f.label}: the tool read its duration`).toBeCloseTo(SECONDS, 0);
      idOf.set(f.id, track!.id);
      // The origin answers with the type the manifest names, as a server of these files would.
      site.origin.put(`/${track!.url}`, f.body, track!.mimeType);
    }
    page = await openPage(suite.browser, site.url);
    const answers = await page.evaluate((types) => types.map((type) => document.createElement('audio').canPlayType(type)), fixtures.map((f) => f.probe));
    const fromOrigin = await exercise(page, fixtures.map((f) => ({ src: `/media/${f.id}.${f.ext}` })));
    // WebKitGTK's media player now and then fails a file it plays (media error 4, also seen by
    // bench line 8): a codec the engine says it may play and that failed is played once more.
    const again = fixtures.map((f, i) => ({ f, i })).filter(({ i }) => fromOrigin[i]!.error && answers[i] !== '');
    if (again.length) {
      console.log(`[${suite.engine.name}] played again from the origin after a failure: ${again.map(({ f, i }) => `${f.label} (${fromOrigin[i]!.stage}: ${fromOrigin[i]!.error})`).join('; ')}`);
      const retried = await exercise(page, again.map(({ f }) => ({ src: `/media/${f.id}.${f.ext}?again` })));
      again.forEach(({ i }, k) => (fromOrigin[i] = retried[k]!));
    }
    for (const [i, f] of fixtures.entries()) {
      canPlay.set(f.id, answers[i]!);
      const run = fromOrigin[i]!;
      record(f, 'origin', run);
      supported.set(f.id, run.error === null);
      if (run.error) {
        // Not supported: the engine cannot even start it from the origin (a failure after it
        // started, e.g. in a seek, is the engine's bug with this file, and fails here).
        console.log(`[${suite.engine.name}] ${f.label}: not supported by the engine (canPlayType ${JSON.stringify(canPlay.get(f.id))}; from the origin: ${run.stage}: ${run.error})`);
        expect(run.stage, `${f.label} started from the origin but then failed`).toBe('play');
        expect(canPlay.get(f.id), `${f.label}: canPlayType says "${canPlay.get(f.id)}" yet it does not play`).toBe('');
      } else {
        expect(run.duration).toBeCloseTo(SECONDS, 0);
        for (const s of run.seeks) expect(Math.abs(s.landed - s.target)).toBeLessThan(LANDING);
      }
    }
    // What the engine asked the origin for: with files this small, the whole file at once.
    console.log(`[${suite.engine.name}] requests for the media from the origin: ${fixtures.map((f) => `${f.id} ${site.origin.requestsFor(`/media/${f.id}.${f.ext}`).map((r) => r.range ?? 'whole').join(', ')}`).join('; ')}`);
    // Every engine here plays at least MP3 and WAV: a page that plays nothing is a broken setup.
    expect(supported.get('mp3') && supported.get('wav')).toBe(true);
  });

  suite.test('no service worker: getTrack() as an object URL plays and seeks each codec the engine has', {}, async () => {
    await openCache(page, { ...site.options, serviceWorker: false });
    const report = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const r = await cache.sync();
      await cache.idle();
      return r;
    });
    expect(report).toMatchObject({ manifest: 'accepted' });
    await playEach('nosw', 'getTrack');
  });

  suite.test('service worker: trackUrl() plays and seeks each codec the engine has', { needs: ['serviceWorker'] }, async () => {
    await reloadAndOpen(true);
    await playEach('sw', 'trackUrl');
    // A ≤ 200 kB file is read whole in one go by the engines (the seeks above are served from
    // their buffer), so the Range answers a seek in a longer file gets are checked here: at each
    // seek point, a range one chunk long (it crosses a chunk boundary), byte for byte.
    const asks = fixtures.flatMap((f) => SEEKS.map((s) => ({ id: idOf.get(f.id)!, start: Math.floor(f.body.length * s), end: Math.min(f.body.length, Math.floor(f.body.length * s) + CHUNK) - 1 })));
    const answers = await page.evaluate(async (asks) => {
      const { cache } = window as never as { cache: { trackUrl(id: string): string } };
      return Promise.all(
        asks.map(async ({ id, start, end }) => {
          const r = await fetch(cache.trackUrl(id), { headers: { Range: `bytes=${start}-${end}` } });
          return { status: r.status, range: r.headers.get('content-range'), type: r.headers.get('content-type'), bytes: await toBase64(await r.blob()) };
        }),
      );
    }, asks);
    for (const [i, ask] of asks.entries()) {
      const f = fixtures.find((x) => idOf.get(x.id) === ask.id)!;
      const { bytes, ...head } = answers[i]!;
      expect(head, `${f.label} bytes=${ask.start}-${ask.end}`).toEqual({ status: 206, range: `bytes ${ask.start}-${ask.end}/${f.body.length}`, type: manifest.tracks.find((t) => t.id === ask.id)!.mimeType });
      expect(Buffer.from(bytes, 'base64').equals(f.body.subarray(ask.start, ask.end + 1)), `${f.label} bytes=${ask.start}-${ask.end}: the bytes`).toBe(true);
    }
  });

  suite.test('offline after a reload: trackUrl() and getTrack() play and seek each codec with the origin down', {}, async () => {
    const status = await page.evaluate(async () => (await (window as never as { cache: any }).cache.status()).tracks.map((t: { id: string; state: string }) => `${t.id}: ${t.state}`));
    expect(status.sort()).toEqual([...idOf.values()].map((id) => `${id}: complete`).sort());
    site.setNetwork('shell-only'); // the page and the bundles load (an app's own cache); manifest and media do not
    const before = site.origin.log.length;
    if (suite.features.has.serviceWorker) {
      await reloadAndOpen(true);
      await playEach('sw-offline', 'trackUrl');
    }
    await reloadAndOpen(false);
    await playEach('nosw-offline', 'getTrack');
    expect(site.origin.log.slice(before).filter((r) => r.path.startsWith('/media/') && r.bytes > 0)).toEqual([]); // no media byte came from the origin
    expect(await page.errors()).toEqual([]);
  }, 90_000);
});
