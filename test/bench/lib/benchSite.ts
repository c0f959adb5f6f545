// The bench's origin: harness's site (page, reprise's bundles, signed manifest, media) plus what
// the baselines need — a Workbox service worker scoped to /wb/ with its own page — and, on
// request, a heartbeat prepended to the cache worker so the bench can read how late its event
// loop ran (the worker's longest task; PerformanceObserver 'longtask' is not exposed to workers).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { type SiteTrack, startSite } from '../../browser/harness.js';

const DIST = new URL('../../../dist/browser/', import.meta.url).pathname;

let workboxBundle: Promise<string> | undefined;
function workboxServiceWorker(): Promise<string> {
  workboxBundle ??= build({ entryPoints: [new URL('./workboxServiceWorker.ts', import.meta.url).pathname], bundle: true, format: 'iife', write: false, minify: true, logLevel: 'silent' }).then((r) => r.outputFiles[0]!.text);
  return workboxBundle;
}

/** Prepended to cache-worker.js: a 10 ms timer that records how late it fires (ms), its worst since the last read. */
const HEARTBEAT = `globalThis.__beat={late:0};{let last=performance.now();setInterval(()=>{const now=performance.now();globalThis.__beat.late=Math.max(globalThis.__beat.late,now-last-10);last=now;},10);}\n`;

export interface BenchSiteOptions {
  chunkSize?: number;
  heartbeat?: boolean;
  /** Serve the cache worker and service worker bundled without minifying (names kept), for a CPU profile that says which function. */
  readableWorker?: boolean;
}

const readableBundles = new Map<string, Promise<string>>();
function readable(entry: string, format: 'esm' | 'iife'): Promise<string> {
  const path = new URL(`../../../${entry}`, import.meta.url).pathname;
  if (!readableBundles.has(entry)) readableBundles.set(entry, build({ entryPoints: [path], bundle: true, format, platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }).then((r) => r.outputFiles[0]!.text));
  return readableBundles.get(entry)!;
}
/** The cache worker and the service worker bundled as the build does, without minifying. */
export const readableCacheWorker = () => readable('worker/cache-worker.ts', 'esm');
export const readableServiceWorker = () => readable('worker/service-worker.ts', 'iife');

export async function startBenchSite(tracks: SiteTrack[], playlists: { id: string; trackIds: string[]; offline?: boolean }[], o: BenchSiteOptions = {}) {
  const site = await startSite(tracks, playlists, o.chunkSize ?? 256 * 1024);
  const { origin } = site;
  origin.put('/wb/index.html', origin.files.get('/index.html')!.body, 'text/html; charset=utf-8');
  origin.put('/wb/sw.js', await workboxServiceWorker(), 'text/javascript');
  const worker = o.readableWorker ? await readableCacheWorker() : readFileSync(`${DIST}cache-worker.js`, 'utf8');
  if (o.heartbeat || o.readableWorker) origin.put('/reprise/cache-worker.js', (o.heartbeat ? HEARTBEAT : '') + worker, 'text/javascript');
  if (o.readableWorker) origin.put('/sw.js', await readableServiceWorker(), 'text/javascript');
  return site;
}

/** A page of the site, loaded and ready (openOfflineCache on window). */
export async function openPage(context: { newPage(): Promise<Page> }, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** The worst lateness of the cache worker's heartbeat since the last call, ms (needs `heartbeat: true`). */
export async function workerLateness(page: Page): Promise<number> {
  const worker = page.workers().find((w) => w.url().includes('cache-worker.js'));
  if (!worker) throw new Error('the cache worker is not running');
  return worker.evaluate(() => {
    const beat = (globalThis as never as { __beat: { late: number } }).__beat;
    const late = beat.late;
    beat.late = 0;
    return late;
  });
}
