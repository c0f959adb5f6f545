import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/**
 * Chromium pages through Playwright's own API (for the DevTools protocol: quotas, abrupt
 * closes), on the test page of `startSite` (harness.ts): `window.cache` once opened.
 */
export async function openChromiumPage(context: BrowserContext, url: string, init?: () => void): Promise<Page> {
  const page = await context.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** Opens the cache in the page as `window.cache`, collecting its `state` events in `window.states`. */
export async function openChromiumCache(page: Page, options: unknown): Promise<'leader' | 'follower'> {
  return page.evaluate(async (options) => {
    const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any; states: unknown[] };
    w.states = [];
    w.cache = await w.openOfflineCache(options);
    w.cache.on('state', (e: unknown) => w.states.push(e));
    return w.cache.role;
  }, options);
}

/** Calls `cache[method](...args)` in the page; a rejection comes back as `{ error: { name, message } }`. */
export function callCache<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<{ value: T } | { error: { name: string; message: string } }> {
  return page.evaluate(
    async ([method, args]) => {
      const { cache } = window as never as { cache: Record<string, (...a: unknown[]) => Promise<unknown>> };
      try {
        return { value: (await cache[method]!(...args)) as never };
      } catch (e) {
        return { error: { name: (e as Error).name, message: (e as Error).message } };
      }
    },
    [method, args] as const,
  );
}

/** The value of a call that must succeed. */
export async function must<T>(reply: Promise<{ value: T } | { error: { name: string; message: string } }>): Promise<T> {
  const r = await reply;
  if ('error' in r) throw new Error(`${r.error.name}: ${r.error.message}`);
  return r.value;
}

/** DevTools sessions kept open per page: Chromium drops a quota override when its session detaches. */
const sessions = new WeakMap<Page, CDPSession>();

/**
 * Sets the origin's real storage quota (the DevTools protocol, as a full device would enforce it)
 * and confirms that Chromium enforces it when `confirmBytes` is given: a plain IndexedDB write of
 * that many bytes, in a database of its own, must fail with QuotaExceededError. The override
 * lasts while `page` is open.
 */
export async function setQuota(page: Page, origin: string, quotaSize: number, confirmBytes?: number): Promise<void> {
  let cdp = sessions.get(page);
  if (!cdp) sessions.set(page, (cdp = await page.context().newCDPSession(page)));
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
  if (confirmBytes === undefined) return;
  const refused = await page.evaluate(
    (bytes) =>
      new Promise<string>((resolve) => {
        const open = indexedDB.open('quota-confirm');
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onsuccess = () => {
          const tx = open.result.transaction('s', 'readwrite');
          // Random bytes: Chromium compresses IndexedDB values, and a pattern would fit.
          const value = new Uint8Array(bytes);
          for (let i = 0; i < bytes; i += 65_536) crypto.getRandomValues(value.subarray(i, i + 65_536));
          tx.objectStore('s').put(value, 'k');
          tx.oncomplete = () => (open.result.close(), resolve('written'));
          tx.onabort = () => (open.result.close(), resolve(tx.error?.name ?? 'aborted'));
        };
        open.onerror = () => resolve(open.error?.name ?? 'open failed');
      }),
    confirmBytes,
  );
  if (refused !== 'QuotaExceededError') throw new Error(`a ${confirmBytes}-byte IndexedDB write under a ${quotaSize}-byte quota gave "${refused}", not QuotaExceededError: the quota is not enforced`);
}

/** The origin's usage as Chromium counts it (the quota it reports is not the enforced one). */
export function usage(page: Page): Promise<number> {
  return page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}
