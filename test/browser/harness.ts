import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { chunkDigests, key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = new URL('../../dist/browser/', import.meta.url).pathname;

/** Flags from the brief: this machine's network is closed, so no background traffic; a fresh profile each time. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
];

/** Browser tests never skip: without Chromium they fail and say how to install it. */
export function assertBrowser(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install it: sudo apt-get install -y chromium   (or set CHROMIUM_PATH)`);
  }
  if (!existsSync(join(DIST, 'client.js'))) throw new Error('dist/browser is missing: run `npm run build` (npm test does)');
}

export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  assertBrowser();
  const profile = await mkdtemp(join(tmpdir(), 'reprise-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>reprise test page</title>
<audio id="player" crossorigin="anonymous" preload="auto"></audio>
<script type="module">
  import { openOfflineCache } from '/reprise/client.js';
  window.openOfflineCache = openOfflineCache;
  window.events = [];
  // tsx (esbuild keepNames) wraps functions in __name(); page.evaluate ships them here as source.
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

/**
 * The app's origin on 127.0.0.1: the page, the built bundles (the service worker at the root so
 * its scope covers the page), a signed manifest and the media, with the origin's request log.
 */
export async function startSite(tracks: SiteTrack[], playlists: { id: string; trackIds: string[]; offline?: boolean }[], chunkSize = 64 * 1024) {
  const origin = await TestOrigin.start();
  origin.put('/index.html', PAGE, 'text/html; charset=utf-8');
  origin.put('/sw.js', readFileSync(join(DIST, 'service-worker.js')), 'text/javascript');
  for (const file of ['client.js', 'cache-worker.js']) origin.put(`/reprise/${file}`, readFileSync(join(DIST, file)), 'text/javascript');
  const manifest = {
    format: 'reprise-manifest/1',
    securityEpoch: 1,
    issuedAt: new Date().toISOString(),
    playlists: playlists.map((p) => ({ name: p.id, ...p })),
    tracks: tracks.map((t) => {
      origin.put(`/media/${t.id}`, t.body, t.mimeType ?? 'audio/wav');
      return { id: t.id, url: `media/${t.id}`, mimeType: t.mimeType ?? 'audio/wav', size: t.body.length, chunkSize, chunks: chunkDigests(t.body, chunkSize) };
    }),
  };
  origin.put('/manifest.jws', await sign(manifest, 'k1'), 'application/jose');
  const publicJwk = (await key('k1')).publicJwk;
  return {
    origin,
    url: `${origin.url}/index.html`,
    options: { manifestUrl: '/manifest.jws', trustedKeys: [publicJwk], serviceWorker: { url: '/sw.js' } },
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

declare global {
  /** Defined by the test page (see PAGE). */
  function toBase64(blob: Blob): Promise<string>;
}
