import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './harness.js';
import { openPage, serviceWorkerBuild, startLifecycleSite } from './lifecycleSite.js';

let browser: Awaited<ReturnType<typeof launch>>;
let site: Awaited<ReturnType<typeof startLifecycleSite>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const page of browser.context.pages()) await page.close().catch(() => {});
  await site?.origin.close();
});

type Win = { openOfflineCache: (o: unknown) => Promise<any>; cache: any; updates: unknown[] };

/** Opens the cache, and only then listens for `app-update` (as an app does after `await`). */
async function openAndListen(page: Page): Promise<void> {
  await page.evaluate(async (options) => {
    const w = window as never as Win;
    w.updates = [];
    w.cache = await w.openOfflineCache(options);
    w.cache.on('app-update', (e: unknown) => w.updates.push(e));
  }, site.options);
}

/** The build of the service worker that controls the page (each build answers `{ type: 'version' }`). */
function controllerVersion(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data);
        navigator.serviceWorker.controller!.postMessage({ type: 'version' }, [channel.port2]);
      }),
  );
}

const updateArrived = (page: Page) => page.waitForFunction(() => (window as never as Win).updates.length > 0, undefined, { timeout: 5000 });

/** v1 open in `tabs` pages; v2 published and found by the first: it waits, and every page hears of it. */
async function v2Waiting(tabs = 1): Promise<Page[]> {
  site = await startLifecycleSite();
  const pages: Page[] = [];
  for (let i = 0; i < tabs; i++) {
    const page = await openPage(browser.context, site.url);
    await openAndListen(page);
    expect(await controllerVersion(page)).toBe('v1');
    pages.push(page);
  }
  site.origin.put('/sw.js', serviceWorkerBuild('v2'), 'text/javascript');
  await pages[0]!.evaluate(() => (window as never as Win).cache.registration.update());
  for (const page of pages) await updateArrived(page);
  return pages;
}

describe('app updates (Chromium)', () => {
  it('a page (re)loaded while v2 waits still hears app-update; applyUpdate() reloads it under v2', async () => {
    const [page] = (await v2Waiting()) as [Page];
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    await openAndListen(page);
    await updateArrived(page);
    const state = await page.evaluate(() => {
      const w = window as never as Win;
      return { updates: w.updates, updateWaiting: w.cache.updateWaiting, waiting: w.cache.registration.waiting !== null };
    });
    expect(state).toEqual({ updates: [{ scriptUrl: `${site.origin.url}/sw.js` }], updateWaiting: { scriptUrl: `${site.origin.url}/sw.js` }, waiting: true });
    expect(await controllerVersion(page)).toBe('v1'); // playback goes on under v1 until the app says so

    let loads = 0;
    page.on('load', () => loads++);
    await Promise.all([page.waitForEvent('load'), page.evaluate(() => void (window as never as Win).cache.applyUpdate())]);
    await page.waitForFunction(() => document.title === 'ready');
    expect(loads).toBe(1);
    expect(await controllerVersion(page)).toBe('v2');
    await openAndListen(page);
    expect(await page.evaluate(() => (window as never as Win).cache.updateWaiting ?? null)).toBeNull();
  });

  it('every open tab hears app-update; applyUpdate({ reload: false }) resolves under v2 without reloading', async () => {
    const [first, second] = (await v2Waiting(2)) as [Page, Page];
    const third = await openPage(browser.context, site.url); // opened while v2 waits
    await openAndListen(third);
    await updateArrived(third);
    const result = await first.evaluate(async () => {
      const w = window as never as Win & { marker?: number };
      w.marker = 1;
      await w.cache.applyUpdate({ reload: false });
      return { marker: w.marker, waiting: w.cache.registration.waiting !== null };
    });
    expect(result).toEqual({ marker: 1, waiting: false });
    for (const page of [first, second, third]) expect(await controllerVersion(page)).toBe('v2');
  });
});
