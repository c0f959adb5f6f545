// Issue 11: the cap as the origin sees it. Runners shared by the Node and Chromium wire tests and
// `npm run bench -- wire` (Node, and Chromium, Firefox and WebKit through the engines harness): a
// loopback origin counts the body bytes its sockets accept per 100 ms (TestOrigin.wire) while an
// engine downloads a library at a cap.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import type { CacheEngine } from '../../src/engine/index.js';
import type { EngineBrowser, EnginePage } from '../browser/engines/types.js';
import { bytesOf, openEngine, publish } from './catalog.js';
import { TestOrigin } from './origin.js';

export const WIRE_CHUNK = 256 * 1024;
const TRACK_BYTES = 4 * 1024 * 1024;

export interface WireFigures {
  cap: number;
  /** The largest excess over `cap × T + one chunk` of any run of consecutive 100 ms slots (≤ 0: the bound holds). */
  worst: number;
  /** The first slot of that run. */
  worstAt: number;
  /** Bytes per second over the slots. */
  average: number;
  /** |average − cap| / cap. */
  error: number;
  /** Most media requests open at the origin at once. */
  maxOpen: number;
}

/** The worst excess over `cap × T + chunk` of any run of consecutive 100 ms slots, and the average rate. */
export function wireFigures(slots: readonly number[], cap: number, chunk: number): Omit<WireFigures, 'maxOpen'> {
  let worst = -Infinity;
  let worstAt = 0;
  for (let i = 0; i < slots.length; i++) {
    let sum = 0;
    for (let j = i; j < slots.length; j++) {
      sum += slots[j]!;
      const over = sum - (cap * (j - i + 1) * 0.1 + chunk);
      if (over > worst) [worst, worstAt] = [over, i];
    }
  }
  const average = slots.reduce((a, b) => a + b, 0) / (slots.length / 10);
  return { cap, worst, worstAt, average, error: Math.abs(average - cap) / cap };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enough 4 MiB tracks for `seconds` (and a margin) at `cap`. */
export function library(cap: number, seconds: number) {
  const ids = Array.from({ length: Math.ceil((cap * (seconds + 4)) / TRACK_BYTES) + 1 }, (_, i) => `w${i}`);
  return { ids, tracks: ids.map((id) => ({ id, body: bytesOf(id, TRACK_BYTES) })) };
}

/** Where the media bytes on the wire begin: their first slot, and the bytes of other files already in it. */
export interface MediaStart {
  slot: number;
  /** Bytes of the page, bundles or manifest the origin's sockets accepted in `slot` before the first media request. */
  earlier: number;
}

/**
 * The first slot with media bytes (waits up to `withinMs`). `origin.wire` counts every file's
 * bytes and only grows when bytes are accepted, so the slots as they were at the first media
 * request are kept: what grew after it is media, and what `slot` held before it (the 151 KiB
 * cache-worker bundle, when an engine fetches it just before the first media request, as
 * Firefox and WebKit do) is left out of the figures.
 */
export async function firstMediaByte(origin: TestOrigin, withinMs = 10_000): Promise<MediaStart> {
  let asked: number[] | undefined;
  origin.faults.unshift((req) => ((asked ??= req.url!.startsWith('/media/') ? [...origin.wire] : undefined), false));
  for (const giveUp = performance.now() + withinMs; ; await sleep(5)) {
    const slot = asked === undefined ? -1 : origin.wire.findIndex((b, k) => k >= asked!.length - 1 && b > (asked![k] ?? 0));
    if (slot >= 0) return { slot, earlier: asked![slot] ?? 0 };
    if (performance.now() > giveUp) throw new Error(`no media bytes within ${withinMs} ms: the wire test setup is broken`);
  }
}

/**
 * Waits for `seconds + 1` seconds of slots from slot `first`: the bound is checked over all of
 * them, the average over the last `seconds` (steady state: the bound lets the first interval
 * carry one chunk more, which alone is 5 % of 10 s at 0.5 MB/s with 256 KiB chunks).
 */
export async function measure(origin: TestOrigin, { slot: first, earlier }: MediaStart, seconds: number, cap: number, chunk: number): Promise<WireFigures> {
  const end = first + (seconds + 1) * 10;
  while (origin.wire.length < end + 2) await sleep(50);
  const slots = origin.wire.slice(first, end);
  slots[0]! -= earlier;
  const { worst, worstAt } = wireFigures(slots, cap, chunk);
  return { ...wireFigures(slots.slice(10), cap, chunk), worst, worstAt, maxOpen: origin.maxMediaInFlight };
}

export interface NodeWireOptions {
  seconds?: number;
  maxConcurrent?: number;
  /** After 2 s at `cap`, `setThrottle()` to this rate; the figures are for it, from the next slot on. */
  lowerTo?: number;
  /** Fault injection at the origin (see TestOrigin.faults). */
  faults?: TestOrigin['faults'];
}

/** In Node (fake-indexeddb), one engine at `cap`. */
export async function nodeWire(cap: number, options: NodeWireOptions = {}): Promise<WireFigures> {
  const { seconds = 10, maxConcurrent = 3 } = options;
  const origin = await TestOrigin.start();
  let engine: CacheEngine | undefined;
  try {
    const lib = library(Math.max(cap, options.lowerTo ?? 0), seconds + 2);
    await publish(origin, { tracks: lib.tracks.map((t) => ({ ...t, chunkSize: WIRE_CHUNK })), playlists: [{ id: 'p', trackIds: lib.ids, offline: true }] });
    origin.faults.push(...(options.faults ?? []));
    engine = await openEngine(origin, { throttle: { bytesPerSecond: cap, maxConcurrent } });
    const firstByte = firstMediaByte(origin);
    await engine.sync();
    let first = await firstByte;
    if (options.lowerTo !== undefined) {
      await sleep(2000);
      await engine.setThrottle({ bytesPerSecond: options.lowerTo });
      first = { slot: origin.wire.length, earlier: 0 }; // the slot after the one the change fell in
      return await measure(origin, first, seconds, options.lowerTo, WIRE_CHUNK);
    }
    return await measure(origin, first, seconds, cap, WIRE_CHUNK);
  } finally {
    await engine?.close();
    await origin.close();
  }
}

/**
 * {@link nodeWire} in a Node process of its own (engine and origin share that process's event
 * loop, not the test runner's or another cap's): several caps measured at once do not delay
 * each other's timers on a machine with few cores.
 */
export function nodeWireInChild(cap: number, seconds = 10): Promise<WireFigures> {
  const child = fileURLToPath(new URL('./wireChild.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', child, String(cap), String(seconds)], { timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`the wire measurement at ${cap} B/s failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as WireFigures);
    });
  });
}

/** What a wire measurement needs of a tab: the harness's EnginePage in any engine, or a Playwright page adapted. */
export type WirePage = Pick<EnginePage, 'goto' | 'waitForFunction' | 'evaluate' | 'close'>;

/**
 * In a browser tab (`newPage`): a page of its own origin opens the cache worker
 * (`serviceWorker: false`) at `cap` and syncs; the origin, in a process of its own
 * (wireSiteChild.ts), counts what its sockets accept, so this process's event loop (the test
 * runner's, the bench's, or a browser driver's) does not delay it.
 */
export async function pageWire(newPage: () => Promise<WirePage>, cap: number, seconds = 10, maxConcurrent = 3): Promise<WireFigures> {
  // The child prints JSON lines only: without REPRISE_ENGINES, the harness it imports says nothing.
  const { REPRISE_ENGINES: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./wireSiteChild.ts', import.meta.url)), String(cap), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the wire origin at ${cap} B/s ended early: ${stderr}`);
    return JSON.parse(value as string) as T;
  };
  const page = await newPage();
  try {
    const site = await next<{ url: string; options: Record<string, unknown> }>();
    await page.goto(site.url);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(
      async ({ options, throttle }) => {
        const cache = await window.openOfflineCache({ ...options, serviceWorker: false, throttle });
        (window as unknown as { cache: typeof cache }).cache = cache;
        await cache.sync();
      },
      { options: site.options, throttle: { bytesPerSecond: cap, maxConcurrent } },
    );
    return await next<WireFigures>();
  } finally {
    await page.evaluate(() => (window as unknown as { cache?: { close(): Promise<void> } }).cache?.close()).catch(() => {});
    await page.close();
    child.kill();
  }
}

/** {@link pageWire} in a tab of the harness's browser of any engine (Chromium, Firefox, WebKit). */
export function engineWire(browser: EngineBrowser, cap: number, seconds = 10, maxConcurrent = 3): Promise<WireFigures> {
  return pageWire(() => browser.newPage(), cap, seconds, maxConcurrent);
}

/** {@link pageWire} in a Playwright Chromium context (the Chromium wire test in `npm test`). */
export function chromiumWire(context: BrowserContext, cap: number, seconds = 10, maxConcurrent = 3): Promise<WireFigures> {
  return pageWire(
    async () => {
      const page = await context.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        waitForFunction: async (fn, arg, timeout = 10_000) => void (await page.waitForFunction(fn as never, arg, { timeout })),
        evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
        close: () => page.close(),
      };
    },
    cap,
    seconds,
    maxConcurrent,
  );
}

declare global {
  /** Defined by the test page (see test/browser/harness.ts). */
  function openOfflineCache(options: Record<string, unknown>): Promise<{ sync(): Promise<unknown>; close(): Promise<void> }>;
}
