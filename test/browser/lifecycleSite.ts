import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { key, sign } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

const DIST = new URL('../../dist/browser/', import.meta.url).pathname;

/** The page of the lifecycle tests: the client on `window`, nothing opened yet. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>loading</title>
<script type="module">
  import { openOfflineCache } from '/reprise/client.js';
  window.openOfflineCache = openOfflineCache;
  window.__name = (fn) => fn; // tsx (esbuild keepNames) wraps functions shipped by page.evaluate
  document.title = 'ready';
</script>`;

/** A service worker build: the ready-made one, plus an answer to `{ type: 'version' }` saying which build it is. */
export function serviceWorkerBuild(version: string): Buffer {
  const marker = `\nself.addEventListener('message', (e) => { if (e.data && e.data.type === 'version') e.ports[0].postMessage(${JSON.stringify(version)}); });\n`;
  return Buffer.concat([readFileSync(join(DIST, 'service-worker.js')), Buffer.from(marker)]);
}

/**
 * An app origin of its own (a fresh port is a fresh origin: no registration, storage or lock
 * from another test): the page, the built client and cache worker, the service worker (build
 * "v1") at the root, and a signed manifest with no tracks.
 */
export async function startLifecycleSite() {
  const origin = await TestOrigin.start();
  origin.put('/index.html', PAGE, 'text/html; charset=utf-8');
  origin.put('/sw.js', serviceWorkerBuild('v1'), 'text/javascript');
  for (const file of ['client.js', 'cache-worker.js']) origin.put(`/reprise/${file}`, readFileSync(join(DIST, file)), 'text/javascript');
  const manifest = { format: 'reprise-manifest/1', securityEpoch: 1, issuedAt: new Date().toISOString(), playlists: [], tracks: [] };
  origin.put('/manifest.jws', await sign(manifest, 'k1'), 'application/jose');
  const publicJwk = (await key('k1')).publicJwk;
  return {
    origin,
    url: `${origin.url}/index.html`,
    options: { manifestUrl: '/manifest.jws', trustedKeys: [publicJwk], serviceWorker: { url: '/sw.js' } as { url: string; scope?: string } | false },
  };
}

export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}
