import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollPage } from '../helpers/pollPage.js';
import { launch } from './harness.js';

// The demo test once waited with page.waitForFunction(async …): it returned at the first call,
// so "the playlist is complete" was checked mid-download (reported as lost chunks).
describe('pollPage, in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launch>>;
  beforeAll(async () => void (browser = await launch()), 60_000);
  afterAll(async () => browser?.close());

  it('waits for an async check to resolve truthy, where waitForFunction would not', async () => {
    const page = await browser.context.newPage();
    await page.goto('about:blank');
    await page.evaluate(() => setTimeout(() => ((window as unknown as { flag: number }).flag = 1), 600));
    const read = async () => {
      await new Promise((r) => setTimeout(r, 10));
      return (window as unknown as { flag?: number }).flag ?? 0;
    };
    // The pitfall, measured: the async predicate's promise counts as truthy at once.
    await page.waitForFunction(read, undefined, { polling: 50, timeout: 5000 });
    expect(await page.evaluate(() => (window as unknown as { flag?: number }).flag)).toBeUndefined();
    expect(await pollPage(page, read, undefined, { interval: 50, timeout: 5000 })).toBe(1);
    await expect(pollPage(page, async () => false, undefined, { interval: 50, timeout: 300, what: 'never' })).rejects.toThrow(/never/);
  });
});
