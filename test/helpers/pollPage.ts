import type { Page } from 'playwright-core';

/**
 * Evaluates `check` in the page until it resolves truthy, awaiting each answer in Node.
 *
 * Why not `page.waitForFunction`: it does not await a promise the predicate returns, and a
 * promise is truthy, so an `async` predicate ends the wait at its first call whatever it
 * resolves to (measured: playwright-core 1.65, Chromium). Use this for any check that awaits.
 */
export async function pollPage<A, R>(page: Page, check: (arg: A) => Promise<R> | R, arg: A, { timeout = 30_000, interval = 200, what = 'a page condition' } = {}): Promise<R> {
  const end = Date.now() + timeout;
  let last: R;
  for (;;) {
    last = (await page.evaluate(check as (arg: unknown) => Promise<unknown>, arg as unknown)) as R;
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last answer: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
