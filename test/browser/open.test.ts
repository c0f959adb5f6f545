import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCache, must, openChromiumCache } from './chromiumPage.js';
import { type EngineBrowser, assertInstalled, engines, launch } from './harness.js';
import { openPage, startLifecycleSite } from './lifecycleSite.js';

/** The bound these tests give openOfflineCache() (docs/lifecycle.md: `openTimeoutMs`). */
const BOUND_MS = 2000;
/** Time a rejection may take past the bound: the worker's end and the page's own work. */
const SLACK_MS = 1500;

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

type Site = Awaited<ReturnType<typeof startLifecycleSite>>;
type Options = Site['options'] & Record<string, unknown>;

interface Attempt {
  name?: string;
  message?: string;
  details?: { path?: string; url?: string; missing?: string[] };
  elapsed: number;
  /** Role of a second openOfflineCache (serviceWorker: false) in the same page: the lock is free. */
  next?: string;
}

/** In the page: opens with `options`, then opens again without a service worker to see who leads. */
async function attemptInPage([options, base]: [unknown, unknown]): Promise<Attempt> {
  const w = window as never as { openOfflineCache: (o: unknown) => Promise<{ role: string; close(): Promise<void> }> };
  const t0 = performance.now();
  const failure = await w.openOfflineCache(options).then(
    () => ({ name: 'resolved' }),
    (e: Error & { details?: Attempt['details'] }) => ({ name: e.name, message: e.message, details: e.details }),
  );
  const elapsed = performance.now() - t0;
  const second = await w.openOfflineCache({ ...(base as object), serviceWorker: false, openTimeoutMs: 10_000 });
  const next = second.role;
  await second.close();
  return { ...failure, elapsed, next };
}

function attempt(page: Page, options: unknown, base: Options): Promise<Attempt> {
  return page.evaluate(attemptInPage, [options, base] as [unknown, unknown]);
}

const offCurve = (jwk: Record<string, string>) => ({ ...jwk, y: jwk.x }); // (x, x) is not a point of P-256

const cases: { name: string; code: string; path: string; url?: string; timesOut?: boolean; site?: (s: Site) => void; options: (o: Options) => unknown; message?: RegExp }[] = [
  { name: 'the worker URL answers 404', code: 'not-found', path: 'options.workerUrl', url: '/missing/cache-worker.js', options: (o) => ({ ...o, workerUrl: '/missing/cache-worker.js' }), message: /answers 404/ },
  {
    name: 'the worker URL answers HTML (a dev server fallback)',
    code: 'invalid-argument',
    path: 'options.workerUrl',
    url: '/spa/cache-worker.js',
    site: (s) => s.origin.put('/spa/cache-worker.js', '<!doctype html><p>app', 'text/html'),
    options: (o) => ({ ...o, workerUrl: '/spa/cache-worker.js' }),
    message: /text\/html, not JavaScript/,
  },
  {
    name: 'the worker URL is a classic script, not a module',
    code: 'invalid-argument',
    path: 'options.workerUrl',
    url: '/classic.js',
    site: (s) => s.origin.put('/classic.js', 'importScripts("/other.js");', 'text/javascript'),
    options: (o) => ({ ...o, workerUrl: '/classic.js' }),
    message: /did not start/,
  },
  {
    name: "the worker URL is a module that is not reprise's worker",
    code: 'invalid-argument',
    path: 'options.workerUrl',
    url: '/other.js',
    timesOut: true,
    site: (s) => s.origin.put('/other.js', 'export const unrelated = 1;', 'text/javascript'),
    options: (o) => ({ ...o, workerUrl: '/other.js' }),
    message: /did not answer as reprise's cache worker within 2000 ms/,
  },
  { name: 'a trusted key is off the curve', code: 'invalid-argument', path: 'trustedKeys.0', options: (o) => ({ ...o, trustedKeys: [offCurve(o.trustedKeys[0] as never)] }), message: /trustedKeys\.0/ },
  { name: 'the service worker URL answers 404', code: 'not-found', path: 'options.serviceWorker.url', url: '/missing-sw.js', options: (o) => ({ ...o, serviceWorker: { url: '/missing-sw.js' } }), message: /answers 404/ },
  {
    name: "the service worker's directory does not cover the page",
    code: 'invalid-argument',
    path: 'options.serviceWorker.url',
    url: '/sub/',
    site: (s) => s.origin.put('/sub/sw.js', s.origin.files.get('/sw.js')!.body, 'text/javascript'),
    options: (o) => ({ ...o, serviceWorker: { url: '/sub/sw.js' } }),
    message: /does not cover this page/,
  },
  { name: 'the scope option does not cover the page', code: 'invalid-argument', path: 'options.serviceWorker.scope', url: '/elsewhere/', options: (o) => ({ ...o, serviceWorker: { url: '/sw.js', scope: '/elsewhere/' } }), message: /does not cover this page/ },
  {
    name: 'the service worker fails after the cache worker started (its script throws)',
    code: 'invalid-argument',
    path: 'options.serviceWorker.url',
    url: '/throwing-sw.js',
    site: (s) => s.origin.put('/throwing-sw.js', 'throw new Error("broken build");', 'text/javascript'),
    options: (o) => ({ ...o, serviceWorker: { url: '/throwing-sw.js' } }),
    message: /did not start/,
  },
  {
    name: 'the service worker never takes control of the page',
    code: 'invalid-argument',
    path: 'options.serviceWorker.url',
    url: '/lazy-sw.js',
    timesOut: true,
    site: (s) => s.origin.put('/lazy-sw.js', 'self.addEventListener("install", (e) => e.waitUntil(self.skipWaiting()));', 'text/javascript'),
    options: (o) => ({ ...o, serviceWorker: { url: '/lazy-sw.js' } }),
    message: /did not take control of this page within 2000 ms/,
  },
];

describe('openOfflineCache() never hangs (Chromium)', () => {
  it.each(cases)('rejects $code when $name, within the bound, and leaves no worker or lock', async (c) => {
    const site = await startLifecycleSite();
    try {
      c.site?.(site);
      const page = await openPage(browser.context, site.url);
      const result = await attempt(page, { ...(c.options(site.options) as object), openTimeoutMs: BOUND_MS }, site.options);
      console.info(`open: ${c.name} → ${result.name} in ${Math.round(result.elapsed)} ms (bound ${BOUND_MS} ms)`);
      expect(result.name).toBe(c.code);
      expect(result.message).toMatch(c.message!);
      expect(result.details?.path).toBe(c.path);
      if (c.url) {
        expect(result.details?.url).toBe(`${site.origin.url}${c.url}`);
        expect(result.message).toContain(`${site.origin.url}${c.url}`);
      }
      expect(result.elapsed).toBeLessThan(BOUND_MS + SLACK_MS);
      if (c.timesOut) expect(result.elapsed).toBeGreaterThanOrEqual(BOUND_MS - 50);
      expect(result.next).toBe('leader');
      await expect.poll(() => page.workers().length).toBe(0);
      await page.close();
    } finally {
      await site.origin.close();
    }
  });

  it('names every missing option at once, and starts nothing', async () => {
    const site = await startLifecycleSite();
    try {
      const page = await openPage(browser.context, site.url);
      const result = await page.evaluate(async () => {
        const w = window as never as { openOfflineCache: (o: unknown) => Promise<unknown> };
        return w.openOfflineCache({}).then(
          () => null,
          (e: Error & { details?: { missing?: string[] } }) => ({ name: e.name, message: e.message, missing: e.details?.missing }),
        );
      });
      expect(result).toMatchObject({ name: 'invalid-argument', missing: ['options.manifestUrl', 'options.trustedKeys', 'options.serviceWorker'] });
      for (const option of result!.missing!) expect(result!.message).toContain(option);
      expect(page.workers()).toHaveLength(0);
      expect(site.origin.requestsFor('/reprise/cache-worker.js')).toHaveLength(0);
      await page.close();
    } finally {
      await site.origin.close();
    }
  });
});

// The same setups in Firefox and WebKit (Chromium above, where Playwright also counts the page's
// workers): each engine reports a broken setup its own way, reprise must turn each into the same
// code. Running them here found WebKit importing a trusted key off the P-256 curve.
describe.each(engines.filter((e) => e.name !== 'chromium').map((e) => [e.name, e] as const))('[%s] openOfflineCache() never hangs', (_name, engine) => {
  let other: EngineBrowser | undefined;
  beforeAll(async () => {
    assertInstalled(engine);
    other = await engine.launch();
  }, 90_000);
  afterAll(async () => other?.close());

  it(`rejects each broken setup with its code and option, within the bound, and leaves the lock free [${engine.name}]`, async () => {
    const seen: string[] = [];
    for (const c of cases) {
      const site = await startLifecycleSite();
      try {
        c.site?.(site);
        const page = await other!.newPage();
        await page.goto(site.url);
        await page.waitForFunction(() => document.title === 'ready');
        const result = await page.evaluate(attemptInPage, [{ ...(c.options(site.options) as object), openTimeoutMs: BOUND_MS }, site.options] as [unknown, unknown]);
        seen.push(`${c.name} → ${result.name} in ${Math.round(result.elapsed)} ms`);
        expect({ case: c.name, name: result.name, path: result.details?.path, next: result.next }).toEqual({ case: c.name, name: c.code, path: c.path, next: 'leader' });
        expect(result.message).toMatch(c.message!);
        if (c.url) expect(result.details?.url).toBe(`${site.origin.url}${c.url}`);
        expect(result.elapsed).toBeLessThan(BOUND_MS + SLACK_MS);
        await page.close();
      } finally {
        await site.origin.close();
      }
    }
    console.info(`[${engine.name}] open: ${seen.join('; ')}`);
  }, 120_000);
});

describe('openOfflineCache() resolves only once the service worker answers trackUrl() (Chromium)', () => {
  const INSTALLS = 50;
  it(`${INSTALLS} first installs: no track request reaches the origin`, { timeout: 300_000 }, async () => {
    let reachedOrigin = 0;
    let uncontrolled = 0;
    for (let i = 0; i < INSTALLS; i++) {
      const site = await startLifecycleSite(); // a new port: a new origin, with no registration yet
      try {
        const page = await openPage(browser.context, site.url);
        const seen = await page.evaluate(async (options) => {
          const w = window as never as { openOfflineCache: (o: unknown) => Promise<{ trackUrl(id: string): string; close(): Promise<void> }> };
          const cache = await w.openOfflineCache(options);
          const controlled = navigator.serviceWorker.controller !== null;
          const status = (await fetch(cache.trackUrl('t1'))).status;
          await cache.close();
          return { controlled, status };
        }, site.options);
        if (!seen.controlled) uncontrolled++;
        reachedOrigin += site.origin.log.filter((r) => r.path.includes('/__reprise__/track/')).length;
        await page.close();
      } finally {
        await site.origin.close();
      }
    }
    console.info(`first installs: ${INSTALLS}, track requests at the origin: ${reachedOrigin}, resolved uncontrolled: ${uncontrolled}`);
    expect({ reachedOrigin, uncontrolled }).toEqual({ reachedOrigin: 0, uncontrolled: 0 });
  });
});

describe('close() settles every call in flight (Chromium)', () => {
  // An app that closes the cache while its calls run (the demo's simulations do, to damage or wipe
  // the store) must not be left with promises that never settle: each resolves, or rejects `aborted`.
  it('calls asked just before close() resolve or reject `aborted`, none hangs', async () => {
    const site = await startLifecycleSite();
    try {
      const page = await openPage(browser.context, site.url);
      const outcome = await page.evaluate(async (options) => {
        const w = window as never as { openOfflineCache: (o: unknown) => Promise<Record<string, (...a: unknown[]) => Promise<unknown>> & { close(): Promise<void> }> };
        const tally: Record<string, number> = { resolved: 0, hung: 0 };
        for (let round = 0; round < 5; round++) {
          const cache = await w.openOfflineCache(options);
          await cache.sync!();
          const calls = [...Array.from({ length: 20 }, () => cache.status!()), cache.sync!(), cache.idle!(), cache.verify!()];
          const closing = cache.close();
          const settled = await Promise.all(
            calls.map((c) => Promise.race([c.then(() => 'resolved', (e: Error) => e.name), new Promise<string>((r) => setTimeout(() => r('hung'), 8000))])),
          );
          await closing;
          for (const s of settled) tally[s] = (tally[s] ?? 0) + 1;
        }
        return tally;
      }, site.options);
      console.info(`close() with calls in flight: ${JSON.stringify(outcome)}`);
      expect(Object.keys(outcome).filter((k) => k !== 'resolved' && k !== 'aborted' && outcome[k]! > 0)).toEqual([]);
      await page.close();
    } finally {
      await site.origin.close();
    }
  }, 120_000);

  it('a call the worker is still working on when close() ends it rejects `aborted`', async () => {
    const site = await startLifecycleSite();
    try {
      const page = await openPage(browser.context, site.url);
      await openChromiumCache(page, site.options);
      await must(callCache(page, 'sync'));
      // The browser's storage answer never comes in the cache worker: status() waits for it
      // (at most STORAGE_ANSWER_MS) when close() ends the worker.
      const worker = page.workers().find((wk) => /cache-worker/.test(wk.url()));
      expect(worker, 'the cache worker').toBeDefined();
      await worker!.evaluate(() => Object.defineProperty(navigator.storage, 'estimate', { value: () => new Promise(() => {}) }));
      const outcome = await page.evaluate(async () => {
        const { cache } = window as never as { cache: any };
        const status = cache.status().then(() => 'resolved', (e: Error) => e.name);
        await new Promise((r) => setTimeout(r, 100)); // the call is in the worker now
        const t = performance.now();
        await cache.close();
        const settled = await Promise.race([status, new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
        return { settled, ms: Math.round(performance.now() - t) };
      });
      console.info(`close() while status() waits in the worker: ${JSON.stringify(outcome)}`);
      expect(outcome.settled).toBe('aborted');
      await page.close();
    } finally {
      await site.origin.close();
    }
  }, 60_000);
});
