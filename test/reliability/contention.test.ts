import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, chunkDigests } from '../helpers/catalog.js';
import { chunksDelivered } from '../helpers/storeAudit.js';
import { callCache, must, openChromiumCache, openChromiumPage } from '../browser/chromiumPage.js';
import { launch, startSite } from '../browser/harness.js';
import { auditPageChunks } from '../browser/pageStoreAudit.js';
import { figure, prng, SOAK } from './scale.js';

// Issue 15 §4: three tabs opening and closing at random over one database while a playlist
// downloads. An observer tab (no cache) listens to the tabs' BroadcastChannel and the Web Locks.
const ACTIONS = Number(process.env.RELIABILITY_CONTENTION_ACTIONS ?? (SOAK ? 200 : 16));
const SEED = Number(process.env.RELIABILITY_SEED ?? 15);
const CHUNK = 64 * 1024;
const TRACKS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id, i) => ({ id, body: bytesOf(`contention-${id}`, 256 * 1024 + i * 777) }));
const FILES = TRACKS.map((t) => ({ path: `/media/${t.id}`, size: t.body.length, chunkSize: CHUNK, chunks: chunkDigests(t.body, CHUNK) }));

interface Observed {
  replies: Record<string, number>;
  leaders: string[];
  maxHeld: number;
}

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

/** The observer: replies per call id on the tabs' channel, leader announcements, and the most reprise locks held at once. */
async function observe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as never as { observed: Observed };
    w.observed = { replies: {}, leaders: [], maxHeld: 0 };
    const channel = new BroadcastChannel('reprise:reprise');
    channel.onmessage = (e: MessageEvent<{ type: string; id?: string; tab?: string }>) => {
      if (e.data.type === 'reply') w.observed.replies[e.data.id!] = (w.observed.replies[e.data.id!] ?? 0) + 1;
      if (e.data.type === 'leader') w.observed.leaders.push(e.data.tab!);
    };
    const sample = async () => {
      const { held = [] } = await navigator.locks.query();
      w.observed.maxHeld = Math.max(w.observed.maxHeld, held.filter((l) => l.name?.startsWith('reprise')).length);
      setTimeout(sample, 10);
    };
    void sample();
  });
}

describe('contention in Chromium: three tabs opening and closing at random over one database', () => {
  it('one writer at a time, no committed chunk fetched again, nothing lost, no call answered twice', async () => {
    const site = await startSite(TRACKS, [{ id: 'p', trackIds: TRACKS.map((t) => t.id) }], CHUNK);
    site.origin.pace = { bytes: 4 * 1024, everyMs: 20 }; // a few seconds for the playlist: the churn overlaps it
    const random = prng(SEED);
    const violations: string[] = [];
    const closes: { logIndex: number; verified: Set<string> }[] = [];
    const slots: (Page | undefined)[] = [undefined, undefined, undefined];
    let opened = 0;
    let closed = 0;
    try {
      const observer = await openChromiumPage(browser.context, site.url);
      await observe(observer);
      const openSlot = async (i: number) => {
        const page = await openChromiumPage(browser.context, site.url);
        slots[i] = page;
        opened++;
        await openChromiumCache(page, { ...site.options, openTimeoutMs: 60_000 }); // many tabs on a loaded machine
        // Each tab asks for the playlist and its status, as an app's startup would; not awaited.
        void page.evaluate(() => {
          const { cache } = window as never as { cache: any };
          void cache.sync().then(() => cache.setOffline('p', true)).then(() => cache.status()).catch(() => {});
        });
      };
      for (let n = 0; n < ACTIONS; n++) {
        const i = Math.floor(random() * slots.length);
        const page = slots[i];
        if (!page) await openSlot(i).catch((e: unknown) => violations.push(`opening a tab failed: ${String(e)}`));
        else {
          slots[i] = undefined;
          await page.close({ runBeforeUnload: false });
          closed++;
          closes.push({ logIndex: site.origin.log.length, verified: new Set((await auditPageChunks(observer)).verified) });
        }
        await new Promise((r) => setTimeout(r, 100 + random() * 400));
      }
      // The app's last tab finishes the job.
      const last = slots.find(Boolean) ?? (await openSlot(0), slots[0]!);
      await must(callCache(last, 'sync'));
      await must(callCache(last, 'setOffline', 'p', true));
      await must(callCache(last, 'idle'));
      const status = await must(callCache<{ tracks: { id: string; state: string }[] }>(last, 'status'));
      for (const t of status.tracks) if (t.state !== 'complete') violations.push(`nothing lost: ${t.id} is ${t.state} at the end`);
      for (const t of TRACKS) {
        const b64 = await last.evaluate(async (id) => toBase64(await (window as never as { cache: any }).cache.getTrack(id)), t.id);
        if (!Buffer.from(b64, 'base64').equals(t.body)) violations.push(`${t.id} reads back with bytes that differ from the origin's`);
      }
      const end = await auditPageChunks(observer);
      if (end.bad.length) violations.push(`unverified bytes stored: ${end.bad.length} chunks`);

      // Duplicate fetches: a chunk delivered again after a close that found it stored, or twice
      // within one stretch without a close (two writers, or one writer fetching twice).
      const deliveries = new Map<string, number[]>();
      site.origin.log.forEach((r, index) => chunksDelivered(FILES, [r]).forEach((d) => deliveries.set(d, [...(deliveries.get(d) ?? []), index])));
      let duplicates = 0;
      for (const [digest, at] of deliveries) {
        for (let k = 1; k < at.length; k++) {
          duplicates++;
          const between = closes.filter((c) => c.logIndex > at[k - 1]! && c.logIndex <= at[k]!);
          if (between.length === 0) violations.push(`chunk ${digest} fetched twice with no tab closed between`);
          else if (between.some((c) => c.verified.has(digest))) violations.push(`committed chunk ${digest} fetched again`);
        }
      }
      const observed = await observer.evaluate(() => (window as never as { observed: Observed }).observed);
      const answeredTwice = Object.entries(observed.replies).filter(([, n]) => n > 1);
      if (answeredTwice.length) violations.push(`calls answered twice: ${answeredTwice.map(([id]) => id).join(', ')}`);
      if (observed.maxHeld > 1) violations.push(`${observed.maxHeld} reprise locks held at once`);
      figure(
        `contention: ${ACTIONS} random actions (${opened} tabs opened, ${closed} closed), ${observed.leaders.length} leader announcements, ${Object.keys(observed.replies).length} calls answered across tabs (most replies to one call: ${Math.max(0, ...Object.values(observed.replies))}), ` +
          `most reprise locks held at once: ${observed.maxHeld}, ${duplicates} chunks fetched again after a tab closed mid-batch, ${violations.length} violations`,
      );
      expect(observed.leaders.length, 'leadership changed hands during the run').toBeGreaterThan(1);
      expect(violations).toEqual([]);
    } finally {
      await site.origin.close();
    }
  }, SOAK ? 3_600_000 : 120_000);
});
