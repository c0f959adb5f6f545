import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkDigests, key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { type Engine, type EngineBrowser, type EngineFeatures, type EnginePage, ERROR_HOOK, type Feature, KNOWN_GAPS, engines, launchPlaywright, probeFeatures } from './engines/index.js';
import { chromium } from './engines/chromium.js';

export { engines } from './engines/index.js';
export type { Engine, EngineBrowser, EnginePage, EngineName, Feature } from './engines/index.js';

const DIST = new URL('../../dist/browser/', import.meta.url).pathname;

if (process.env.REPRISE_ENGINES) console.log(`browser tests: only in ${engines.map((e) => e.name).join(', ')} (REPRISE_ENGINES is set)`);

/** Browser tests never skip: without the engine's binaries they fail and say how to install them. */
export function assertInstalled(engine: Engine): void {
  const missing = engine.binaries.filter((b) => !existsSync(b));
  if (missing.length) throw new Error(`${engine.name} is missing (${missing.join(', ')}). Install it: ${engine.install}`);
  if (!existsSync(join(DIST, 'client.js'))) throw new Error('dist/browser is missing: run `npm run build` (npm test does)');
}

/**
 * Chromium alone, as a Playwright context (fresh profile), for tests that use Playwright's API
 * directly. New browser tests use `eachEngine`, which runs them in all three engines.
 */
export async function launch(): ReturnType<typeof launchPlaywright> {
  assertInstalled(chromium);
  return launchPlaywright();
}

export interface EngineTestOptions {
  /** Platform features the test needs; see engines/features.ts. */
  needs?: Feature[];
  /**
   * Where the engine lacks a need: the documented next best thing, asserted instead of the test.
   * Without it, the test asserts that the feature is indeed absent and prints why.
   */
  without?: (missing: Feature[]) => Promise<void>;
}

/** One engine's suite: the browser it launched and what the engine has. */
export interface EngineSuite {
  readonly engine: Engine;
  readonly browser: EngineBrowser;
  readonly features: EngineFeatures;
  /** A test in this engine: its name carries the engine; `needs` decides between `fn` and `without`. */
  test(name: string, options: EngineTestOptions, fn: () => Promise<void>, timeoutMs?: number): void;
}

/**
 * Declares `body` once per engine (`describe.each`): a browser with a fresh profile is launched
 * before the engine's tests and closed after them; the features of the engine are probed on a
 * page of a test origin first.
 */
export function eachEngine(title: string, body: (suite: EngineSuite) => void): void {
  describe.each(engines.map((engine) => [engine.name, engine] as const))(`[%s] ${title}`, (_name, engine) => {
    let browser: EngineBrowser | undefined;
    let features: EngineFeatures | undefined;
    const suite: EngineSuite = {
      engine,
      get browser() {
        if (!browser) throw new Error(`${engine.name} did not launch: see the error of beforeAll`);
        return browser;
      },
      get features() {
        if (!features) throw new Error(`${engine.name} features were not probed: see the error of beforeAll`);
        return features;
      },
      test(name, options, fn, timeoutMs) {
        it(`${name} [${engine.name}]`, async () => {
          const missing = (options.needs ?? []).filter((f) => !suite.features.has[f]);
          if (!missing.length) return fn();
          const unexplained = missing.filter((f) => !KNOWN_GAPS[engine.name]?.[f]);
          expect(unexplained, `${engine.name} unexpectedly lacks ${unexplained.join(', ')}: the browser or the machine's setup changed`).toEqual([]);
          const why = missing.map((f) => `${f}: ${KNOWN_GAPS[engine.name]![f]}`).join('; ');
          console.log(`[${engine.name}] "${name}" needs what ${engine.name} lacks (${why}); ${options.without ? 'asserting the documented fallback instead' : 'nothing else to assert here'}`);
          if (options.without) await options.without(missing);
        }, timeoutMs);
      },
    };
    let started = 0;
    let launched = 0;
    beforeAll(async () => {
      assertInstalled(engine);
      started = performance.now();
      browser = await engine.launch();
      launched = performance.now();
      const origin = await TestOrigin.start();
      try {
        origin.put('/probe.html', '<!doctype html><title>probe</title>', 'text/html');
        const page = await browser.newPage();
        await page.goto(`${origin.url}/probe.html`);
        features = await probeFeatures(page);
        await page.close();
      } finally {
        await origin.close();
      }
    }, 90_000);
    afterAll(async () => {
      await browser?.close();
      // The per-engine figure for docs/engines.md: grep the output for "browser time".
      if (started) console.log(`[${engine.name}] browser time for "${title}": ${((performance.now() - started) / 1000).toFixed(1)} s (launch ${((launched - started) / 1000).toFixed(1)} s)`);
    }, 30_000);
    body(suite);
  });
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>reprise test page</title>
<script>${ERROR_HOOK}</script>
<audio id="player" crossorigin="anonymous" preload="auto"></audio>
<script type="module">
  import { openOfflineCache } from '/reprise/client.js';
  window.openOfflineCache = openOfflineCache;
  window.events = [];
  // tsx (esbuild keepNames) wraps functions in __name(); page scripts arrive here as source.
  window.__name = (fn) => fn;
  // Bytes cross to the test as base64 (a number array of a few MB is slow to serialise).
  window.toBase64 = (blob) => new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(String(r.result).split(',')[1] ?? ''); r.readAsDataURL(blob); });
  document.title = 'ready';
</script>`;

export interface SiteTrack {
  id: string;
  body: Buffer;
  mimeType?: string;
}

/** The app shell: what an app's own cache would serve while the network is down. */
const SHELL = ['/index.html', '/sw.js', '/reprise/client.js', '/reprise/cache-worker.js'];

/**
 * The app's origin on 127.0.0.1: the page, the built bundles (the service worker at the root so
 * its scope covers the page), a signed manifest and the media, with the origin's request log.
 */
export async function startSite(tracks: SiteTrack[], playlists: { id: string; trackIds: string[]; offline?: boolean }[], chunkSize = 64 * 1024) {
  const origin = await TestOrigin.start();
  origin.put('/index.html', PAGE, 'text/html; charset=utf-8');
  origin.put('/sw.js', readFileSync(join(DIST, 'service-worker.js')), 'text/javascript');
  for (const file of ['client.js', 'cache-worker.js']) origin.put(`/reprise/${file}`, readFileSync(join(DIST, file)), 'text/javascript');
  /** Signs and serves a manifest for `list` at `epoch` (a re-publish replaces the media it names). */
  const publish = async (list: SiteTrack[], epoch: number) => {
    const manifest = {
      format: 'reprise-manifest/1',
      securityEpoch: epoch,
      issuedAt: new Date().toISOString(),
      playlists: playlists.map((p) => ({ name: p.id, ...p })),
      tracks: list.map((t) => {
        origin.put(`/media/${t.id}`, t.body, t.mimeType ?? 'audio/wav');
        return { id: t.id, url: `media/${t.id}`, mimeType: t.mimeType ?? 'audio/wav', size: t.body.length, chunkSize, chunks: chunkDigests(t.body, chunkSize) };
      }),
    };
    origin.put('/manifest.jws', await sign(manifest, 'k1'), 'application/jose');
  };
  await publish(tracks, 1);
  const publicJwk = (await key('k1')).publicJwk;
  let network: 'up' | 'down' | 'shell-only' = 'up';
  // The network is down the same way in every engine (no engine-specific offline switch): the
  // origin drops each connection it gets, as an unreachable host would.
  origin.faults.unshift((req, res) => {
    if (network === 'up' || (network === 'shell-only' && SHELL.includes(new URL(req.url!, 'http://x').pathname))) return false;
    res.socket?.destroy();
    return true;
  });
  return {
    origin,
    url: `${origin.url}/index.html`,
    options: { manifestUrl: '/manifest.jws', trustedKeys: [publicJwk], serviceWorker: { url: '/sw.js' } },
    publish,
    /** 'down': every request fails; 'shell-only': only the page and the bundles load (an app shell cached by the app). */
    setNetwork(state: 'up' | 'down' | 'shell-only') {
      network = state;
    },
    /** How many times the origin sent each whole chunk of a track (a chunk cut short by a closed tab does not count). */
    chunkDeliveries(trackId: string, size: number): number[] {
      const counts = new Array<number>(Math.ceil(size / chunkSize)).fill(0);
      for (const r of origin.requestsFor(`/media/${trackId}`)) {
        const start = r.range ? Number(/bytes=(\d+)-/.exec(r.range)![1]) : 0;
        const end = start + r.bytes; // exclusive
        for (let i = Math.ceil(start / chunkSize); i < counts.length && Math.min(size, (i + 1) * chunkSize) <= end; i++) counts[i]!++;
      }
      return counts;
    },
  };
}

/** Opens the test page in a new tab and waits for its module to load. */
export async function openPage(browser: EngineBrowser, url: string): Promise<EnginePage> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** Opens the cache in a page as `window.cache`; its events are collected in `window.events`. */
export async function openCache(page: EnginePage, options: unknown): Promise<'leader' | 'follower'> {
  return page.evaluate(async (options) => {
    const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any; events: unknown[] };
    w.cache = await w.openOfflineCache(options);
    for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset', 'app-update']) w.cache.on(type, (e: unknown) => w.events.push({ type, e }));
    return w.cache.role;
  }, options);
}

declare global {
  /** Defined by the test page (see PAGE). */
  function toBase64(blob: Blob): Promise<string>;
}
