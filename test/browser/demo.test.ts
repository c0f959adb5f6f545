import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../demo/server.js';
import { launch } from './harness.js';

describe('the demo page, in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launch>>;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, minutes: 5 });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('downloads the offline playlist, plays it, and survives a simulated security reset', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(demo.url);
    await page.waitForFunction(() => (window as never as { cache?: unknown }).cache !== undefined);
    await page.selectOption('#throttle', '');
    // The service's record marks "Road trip" offline: a fresh install fetches it by itself.
    await page.waitForFunction(async () => {
      const s = await (window as never as { cache: any }).cache.status();
      return s.playlists.find((p: { id: string }) => p.id === 'road-trip').tracksComplete === 4;
    }, undefined, { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelectorAll('.tracks li button:not([disabled])').length >= 4);
    await page.locator('.tracks li button:not([disabled])').first().click();
    await page.waitForFunction(() => (document.getElementById('audio') as HTMLAudioElement).currentTime > 0.5, undefined, { timeout: 10_000 });

    const mediaBefore = demo.stats.mediaBytes;
    await page.click('#reset');
    await page.waitForFunction(() => /key-revoked/.test(document.getElementById('report')!.textContent ?? ''), undefined, { timeout: 10_000 });
    const report = await page.locator('#report').innerText();
    expect(report).toMatch(/epoch\s+1 → 2/);
    await page.waitForFunction(async () => {
      const s = await (window as never as { cache: any }).cache.status();
      return s.state.state === 'idle' && s.playlists.find((p: { id: string }) => p.id === 'road-trip').tracksComplete === 4;
    }, undefined, { timeout: 20_000 });
    // Only the one re-published track came down again, not the playlist.
    const changed = [...demo.catalog.tracks.values()].find((t) => t.version === 2)!;
    const refetched = demo.stats.mediaBytes - mediaBefore;
    expect(refetched).toBeLessThanOrEqual(changed.body.length);
    expect(errors).toEqual([]);
    await page.screenshot({ path: 'dist/demo-screenshot.png', fullPage: true });
  });
});
