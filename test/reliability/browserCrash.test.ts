import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, chunkDigests } from '../helpers/catalog.js';
import { chunksDelivered } from '../helpers/storeAudit.js';
import { callCache, must, openChromiumCache, openChromiumPage } from '../browser/chromiumPage.js';
import { launch, startSite } from '../browser/harness.js';
import { auditPageChunks } from '../browser/pageStoreAudit.js';
import { figure, prng, SOAK } from './scale.js';

// Issue 15 §1 in Chromium: the tab (and with it the cache worker) closed abruptly at random
// instants of a download and of the audit after a security reset, then a new tab.
const STOPS = Number(process.env.RELIABILITY_BROWSER_STOPS ?? (SOAK ? 100 : 12)); // per scenario
const SEED = Number(process.env.RELIABILITY_SEED ?? 15);
const CHUNK = 64 * 1024;
const TRACKS = ['t1', 't2', 't3', 't4'].map((id, i) => ({ id, body: bytesOf(`browser-crash-${id}`, 320 * 1024 + i * 999) }));
const FILES = TRACKS.map((t) => ({ id: t.id, body: t.body, path: `/media/${t.id}`, size: t.body.length, chunkSize: CHUNK, chunks: chunkDigests(t.body, CHUNK) }));

type Site = Awaited<ReturnType<typeof startSite>>;
type Status = { tracks: { id: string; state: string }[] };

interface Scenario {
  name: string;
  /** The store before the operation (a clean run, its tab closed normally). */
  prepare(site: Site): Promise<void>;
}

const download = async (page: Page) => {
  await must(callCache(page, 'sync'));
  await must(callCache(page, 'setOffline', 'p', true));
  await must(callCache(page, 'idle'));
};

const SCENARIOS: Scenario[] = [
  { name: 'first download', prepare: async () => {} },
  {
    name: 'audit after a security reset',
    async prepare(site) {
      const page = await openCachePage(site);
      await download(page);
      await page.close();
      await site.publish(TRACKS, 2);
    },
  },
];

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

async function openCachePage(site: Site): Promise<Page> {
  const page = await openChromiumPage(browser.context, site.url);
  // A generous bound: these tests open many tabs while other test files load the machine.
  await openChromiumCache(page, { ...site.options, openTimeoutMs: 60_000 });
  return page;
}

/** Ports of sites already used: storage is per origin, and the browser keeps it across stop points. */
const usedPorts = new Set<string>();

/**
 * A site on an origin no stop point used before. The OS hands a closed port out again; the soak's
 * 200 stop points met one (the store it found had accepted epoch 2: `manifest-rollback`).
 */
async function newSite(): Promise<Site> {
  for (;;) {
    const site = await startSite(TRACKS, [{ id: 'p', trackIds: TRACKS.map((t) => t.id) }], CHUNK);
    const port = new URL(site.url).port;
    if (usedPorts.has(port)) {
      await site.origin.close();
      continue;
    }
    usedPorts.add(port);
    site.origin.pace = { bytes: 8 * 1024, everyMs: 8 }; // ~0.6 s for the playlist: stop points land mid-download
    return site;
  }
}

/** Every track status() calls complete reads back as the origin's bytes. */
async function servedExactly(page: Page, when: string): Promise<string[]> {
  const violations: string[] = [];
  const { tracks } = await must(callCache<Status>(page, 'status'));
  for (const t of tracks.filter((t) => t.state === 'complete')) {
    const b64 = await page.evaluate(async (id) => toBase64(await (window as never as { cache: any }).cache.getTrack(id)), t.id);
    if (!Buffer.from(b64, 'base64').equals(TRACKS.find((x) => x.id === t.id)!.body)) violations.push(`${when}: ${t.id} served bytes that differ from the origin's`);
  }
  return violations;
}

/** One stop point: the operation, the tab closed `afterMs` into it, a new tab, and the invariants. */
async function stopPoint(scenario: Scenario, afterMs: number): Promise<{ violations: string[]; committed: number }> {
  const site = await newSite();
  const violations: string[] = [];
  try {
    await scenario.prepare(site);
    const page = await openCachePage(site);
    const acting = download(page).catch(() => {});
    await Promise.race([acting, new Promise((r) => setTimeout(r, afterMs))]);
    await page.close({ runBeforeUnload: false }); // the worker goes with its tab, transactions in flight

    const inspector = await openChromiumPage(browser.context, site.url);
    const atStop = await auditPageChunks(inspector);
    await inspector.close();
    if (atStop.bad.length) violations.push(`unverified bytes stored at the stop: ${atStop.bad.length} chunks`);
    const restartedAt = site.origin.log.length;
    const page2 = await openCachePage(site);
    violations.push(...(await servedExactly(page2, 'after the restart')));
    await download(page2);
    const { tracks } = await must(callCache<Status>(page2, 'status'));
    for (const t of tracks) if (t.state !== 'complete') violations.push(`${t.id} is ${t.state} at the end`);
    violations.push(...(await servedExactly(page2, 'at the end')));
    await page2.close();
    const again = chunksDelivered(FILES, site.origin.log.slice(restartedAt)).filter((d) => atStop.verified.includes(d));
    if (again.length) violations.push(`committed chunks fetched again: ${again.length}`);
    const inspector2 = await openChromiumPage(browser.context, site.url);
    const end = await auditPageChunks(inspector2);
    await inspector2.close();
    if (end.bad.length) violations.push(`unverified bytes stored at the end: ${end.bad.length} chunks`);
    for (const d of atStop.verified) if (!end.verified.includes(d)) violations.push(`verified chunk ${d} deleted`);
    return { violations: violations.map((v) => `${scenario.name}, stop at ${afterMs} ms: ${v}`), committed: atStop.verified.length };
  } finally {
    await site.origin.close();
  }
}

describe.concurrent('crash consistency in Chromium (the tab closed with its cache worker mid-operation)', () => {
  it.each(SCENARIOS.map((s, i) => [s.name, s, i] as const))('%s: every stop point reopens to a complete, verified store', async (_, scenario, i) => {
    // How long the operation takes when nothing stops it: stop points are spread over it.
    const site = await newSite();
    let span: number;
    try {
      await scenario.prepare(site);
      const page = await openCachePage(site);
      const started = performance.now();
      await download(page);
      span = performance.now() - started;
      await page.close();
    } finally {
      await site.origin.close();
    }
    const random = prng(SEED * 100 + i);
    const violations: string[] = [];
    const committed: number[] = [];
    for (let n = 0; n < STOPS; n++) {
      const stop = await stopPoint(scenario, Math.floor(random() * span));
      violations.push(...stop.violations);
      committed.push(stop.committed);
    }
    const total = FILES.reduce((n, f) => n + f.chunks.length, 0);
    figure(`browser crash "${scenario.name}": ${STOPS} stop points over ${Math.round(span)} ms (chunks stored at the stops: ${committed.join(' ')} of ${total}), ${violations.length} violations`);
    expect(violations).toEqual([]);
  }, SOAK ? 3_600_000 : 120_000);
});
