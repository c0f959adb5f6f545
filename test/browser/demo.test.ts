import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CHUNK_SIZE } from '../../demo/catalog.js';
import { startDemo } from '../../demo/server.js';
import { pollPage } from '../helpers/pollPage.js';
import { launch } from './harness.js';

type Demo = Awaited<ReturnType<typeof startDemo>>;
interface PageDemo {
  cache: { status(): Promise<{ state: { state: string }; playlists: { id: string; offline: boolean; source: string; tracksComplete: number; trackIds: string[] }[] }> };
  lastReport: { kind: string; manifest: string; corruptChunks: number; missingChunks: number; toFetch: { tracks: number } } | null;
  lastDamage: { corrupted: { trackId: string; index: number }[]; deleted: { trackId: string; chunks: number }[]; missingChunks: number } | null;
  refetch: { since: number } | null;
  refreshing: Promise<void> | null;
}
declare global {
  interface Window {
    demo?: PageDemo;
  }
}

// Screenshots go to .tmp/screenshots on every run; REPRISE_SCREENSHOTS=docs refreshes the ones in docs/.
const SHOTS = new URL(process.env.REPRISE_SCREENSHOTS === 'docs' ? '../../docs/screenshots/' : '../../.tmp/screenshots/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

/**
 * Waits until a playlist is wholly on the device: the engine idle and every track complete, and
 * every chunk of it readable in the device store (IndexedDB), where the simulations act.
 * (pollPage, not waitForFunction: that one does not await an async check.)
 */
async function waitPlaylistComplete(page: Page, id: string, timeout = 40_000) {
  await pollPage(page, async (id) => {
    const s = await window.demo!.cache.status();
    const p = s.playlists.find((x) => x.id === id)!;
    if (s.state.state !== 'idle' || !p.offline || p.tracksComplete !== p.trackIds.length) return false;
    const catalog = (await (await fetch('/api/catalog')).json()) as { tracks: { playlistId: string; chunks: string[] }[] };
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const open = indexedDB.open('reprise');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const all = open.result.transaction('chunks').objectStore('chunks').getAllKeys();
        all.onsuccess = () => (open.result.close(), resolve(all.result));
      };
    });
    const stored = new Set(keys);
    return catalog.tracks.filter((t) => t.playlistId === id).every((t) => t.chunks.every((c) => stored.has(c)));
  }, id, { timeout, interval: 500, what: `playlist "${id}" complete in the store` });
}

/**
 * Which whole chunks the origin sent for each track, from the demo server's request log: the
 * bytes of every request (a capped request may cover part of a chunk) added up per chunk; a
 * chunk sent twice is listed twice.
 */
function chunksSent(demo: Demo, since: number): Map<string, number[]> {
  const bytesIn = new Map<string, number[]>();
  for (const r of demo.requests.since(since)) {
    if (r.status !== 200 && r.status !== 206) continue;
    const size = demo.catalog.tracks.get(r.trackId)!.body.length;
    const per = bytesIn.get(r.trackId) ?? new Array<number>(Math.ceil(size / CHUNK_SIZE)).fill(0);
    for (let i = Math.floor(r.start / CHUNK_SIZE); i < per.length && i * CHUNK_SIZE < r.start + r.bytes; i++) {
      per[i]! += Math.min((i + 1) * CHUNK_SIZE, r.start + r.bytes) - Math.max(i * CHUNK_SIZE, r.start);
    }
    bytesIn.set(r.trackId, per);
  }
  const sent = new Map<string, number[]>();
  for (const [trackId, per] of bytesIn) {
    const size = demo.catalog.tracks.get(trackId)!.body.length;
    const list: number[] = [];
    per.forEach((n, i) => {
      for (let k = 0; k < Math.floor(n / Math.min(CHUNK_SIZE, size - i * CHUNK_SIZE)); k++) list.push(i);
    });
    sent.set(trackId, list);
  }
  return sent;
}

/**
 * A demo server and a Chromium of the describe block's own, started before its tests and stopped
 * after them (the first run on a machine generates the MP3 catalog; later runs reuse it).
 */
function demoForBlock(): { demo: Demo; browser: Awaited<ReturnType<typeof launch>> } {
  const run = {} as { demo: Demo; browser: Awaited<ReturnType<typeof launch>> };
  beforeAll(async () => {
    run.demo = await startDemo({ port: 0, minutes: 5 });
    run.browser = await launch();
  }, 180_000);
  afterAll(async () => {
    await run.browser?.close();
    await run.demo?.stop();
  });
  return run;
}

describe('the demo player, in Chromium', () => {
  const run = demoForBlock();

  it('keeps a playlist offline, survives a security reset with damage and a wiped store, and plays with the server stopped', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const page = await run.browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    // What the listener saw when it failed (also on the test's own timeout): the page, its event log, the state the UI shows.
    onTestFailed(async () => {
      await page.screenshot({ path: SHOTS + 'demo-failure.png', fullPage: true, timeout: 5000 }).catch(() => {});
      const seen = await Promise.race([page.evaluate(() => ({ state: document.getElementById('state')?.textContent, manifest: document.getElementById('manifest')?.textContent, events: document.getElementById('log')?.innerText.slice(0, 2000) })), new Promise((r) => setTimeout(() => r('the page did not answer'), 5000))]).catch((e) => String(e));
      console.error(`[demo] failed; screenshot ${SHOTS}demo-failure.png; the page showed: ${JSON.stringify(seen)}`);
    });
    let serverUp = true;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // With the server stopped, the manifest request failing is the point; nothing else may fail.
      if (m.type() === 'error' && !(!serverUp && /ERR_CONNECTION_REFUSED/.test(m.text()))) errors.push(`${m.text()} (${m.location().url})`);
    });
    await page.goto(run.demo.url);
    await page.waitForFunction(() => window.demo?.lastReport != null);
    await page.selectOption('#cap', '0');

    // Mark a playlist offline from its switch; the service records the choice too.
    await page.locator('[data-playlist="road-trip"] .switch input').check();
    await waitPlaylistComplete(page, 'road-trip');
    expect(run.demo.catalog.playlists().find((p) => p.id === 'road-trip')!.offline).toBe(true);

    // A security-forced reset after damage: 5 corrupted chunks, 1 deleted track.
    await page.fill('#corrupt-n', '5');
    await page.fill('#delete-m', '1');
    await page.click('#reset');
    await page.waitForFunction(() => window.demo?.lastReport?.kind === 'key-revoked', undefined, { timeout: 20_000 });
    const { lastReport: report, lastDamage: damage, refetch } = (await page.evaluate(() => ({ lastReport: window.demo!.lastReport, lastDamage: window.demo!.lastDamage, refetch: window.demo!.refetch })))!;
    expect(damage!.corrupted).toHaveLength(5);
    expect(damage!.deleted).toHaveLength(1);
    expect(report!.corruptChunks).toBe(5);
    expect(report!.missingChunks).toBe(damage!.missingChunks);
    await waitPlaylistComplete(page, 'road-trip');
    await page.waitForFunction(() => /the report counts exactly this/.test(document.getElementById('report')!.textContent ?? ''));

    // The origin sent exactly the damaged chunks again, nothing else.
    const expected = new Map<string, number[]>();
    for (const c of damage!.corrupted) expected.set(c.trackId, [...(expected.get(c.trackId) ?? []), c.index].sort((a, b) => a - b));
    for (const d of damage!.deleted) expected.set(d.trackId, Array.from({ length: d.chunks }, (_, i) => i));
    const sentNow = chunksSent(run.demo, refetch!.since);
    expect(sentNow).toEqual(expected);
    const bytes = run.demo.requests.since(refetch!.since).reduce((s, r) => s + r.bytes, 0);
    const expectedBytes = [...expected].reduce((s, [id, idx]) => s + idx.reduce((t, i) => t + Math.min(CHUNK_SIZE, run.demo.catalog.tracks.get(id)!.body.length - i * CHUNK_SIZE), 0), 0);
    expect(bytes).toBe(expectedBytes);
    await page.locator('[data-track]').first().click();
    await page.waitForFunction(() => (document.getElementById('audio') as HTMLAudioElement).currentTime > 0.3, undefined, { timeout: 10_000 });
    // The whole page in one viewport, so the fixed player bar sits at its bottom.
    await page.setViewportSize({ width: 1280, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    await page.screenshot({ path: SHOTS + 'demo-1280.png' });

    // Storage wiped: the store is deleted; the service's offline record brings the playlist back.
    await page.click('#wipe');
    await page.waitForFunction(() => window.demo?.lastReport?.kind === 'storage-lost', undefined, { timeout: 20_000 });
    await waitPlaylistComplete(page, 'road-trip');
    const back = await page.evaluate(async () => (await window.demo!.cache.status()).playlists.find((p) => p.id === 'road-trip')!);
    expect(back.source).toBe('service');

    // The server stops; a reload opens the app from the shell cache and plays from the device.
    await run.demo.stop();
    serverUp = false;
    // A listener pressing "Sync" offline sees "unreachable"; the page's own refresh after it
    // (the refetch figures read from the stopped server) must fail quietly, not as a page error.
    await page.click('#sync');
    await page.waitForFunction(() => window.demo?.lastReport?.manifest === 'unreachable', undefined, { timeout: 20_000 });
    await page.waitForFunction(() => !(document.getElementById('sync') as HTMLButtonElement).disabled);
    // The refresh the page starts as the button comes back on: awaited, with what it ended in.
    expect(await page.evaluate(() => Promise.race([window.demo!.refreshing?.then(() => 'done', (e: Error) => e.message) ?? 'done', new Promise((r) => setTimeout(() => r('the page refresh did not settle within 15 s'), 15_000))]))).toBe('done');
    expect(errors).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForFunction(() => window.demo?.lastReport?.manifest === 'unreachable', undefined, { timeout: 20_000 });
    await page.locator('[data-playlist="road-trip"] [data-track]').nth(2).click();
    await page.waitForFunction(() => (document.getElementById('audio') as HTMLAudioElement).currentTime > 0.3, undefined, { timeout: 10_000 });
    await page.screenshot({ path: SHOTS + 'demo-390.png' });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('the demo player takes a listener\'s clicks during a download, in Chromium', () => {
  const run = demoForBlock();

  it('each press of a "Keep offline" switch held 150 ms, as a finger holds it, turns the playlist on or off while the library re-renders', async () => {
    const page = await run.browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(run.demo.url);
    await page.waitForFunction(() => window.demo?.lastReport != null);
    // A download at the demo's cap runs through the whole test: the library re-renders with its progress.
    await page.locator('[data-playlist="focus"] .switch input').check();
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'downloading');
    const offline = () => page.evaluate(async () => (await window.demo!.cache.status()).playlists.find((p) => p.id === 'late-night')!.offline);
    const switchOf = page.locator('[data-playlist="late-night"] .switch input');
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const before = await offline();
      // Where the switch is on screen (on the old view a render could replace it between the two calls).
      let box: { x: number; y: number; width: number; height: number } | null = null;
      while (!box) {
        await switchOf.scrollIntoViewIfNeeded().catch(() => {});
        box = await switchOf.boundingBox().catch(() => null);
      }
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await new Promise((r) => setTimeout(r, 150));
      await page.mouse.up();
      await expect.poll(offline, { timeout: 3000 }).toBe(!before).then(
        () => outcomes.push('taken'),
        () => outcomes.push('lost'),
      );
    }
    const state = await page.locator('#state').textContent();
    console.info(`[demo] 150 ms presses during a download (state ${state}): ${outcomes.join(' ')}`);
    expect(outcomes.filter((o) => o === 'lost')).toEqual([]);
    await page.close();
  }, 120_000);
});
