// Overlapping calls, at random, in Chromium, Firefox and WebKit: the programs of overlapPrograms.ts
// run in a page against the real client (comlink to the cache worker, the engine's own IndexedDB,
// chunks stored as Blobs, the service worker registered). A call not awaited is really in flight
// while the next one is made: the page makes them all and keeps their promises. The same checks
// as in Node.
import { type EnginePage, eachEngine, openCache, openPage, startSite } from '../browser/harness.js';
import { auditPageChunks } from '../browser/pageStoreAudit.js';
import { CHUNK } from '../helpers/catalog.js';
import { BACKOFF, Expected, FOUND, PLAYLISTS, type Step, TRACKS, callOf, dropMedia, judgeRejection, runPrograms } from './overlapPrograms.js';
import { SOAK } from './scale.js';

/** Programs per engine. */
const RUNS = Number(process.env.RELIABILITY_BROWSER_OVERLAP_RUNS ?? (SOAK ? 200 : 6));
const SETTLE_MS = 20_000;

type Call = { index: number; method: string; args: unknown[]; awaited: boolean };
type Outcome = { index: number; ok: boolean; name?: string; message?: string; hung?: boolean };

/** Starts `calls` in the page, awaiting those marked so; the others stay in flight (window.pending). */
function startCalls(page: EnginePage, calls: Call[]): Promise<null> {
  return page.evaluate(async (calls) => {
    const w = window as never as { cache: Record<string, (...a: unknown[]) => Promise<unknown>>; pending?: Promise<unknown>[] };
    w.pending ??= [];
    for (const c of calls) {
      const done = w.cache[c.method]!(...c.args).then(
        async (value) => {
          if (value instanceof Blob) await value.arrayBuffer();
          return { index: c.index, ok: true };
        },
        (e: Error) => ({ index: c.index, ok: false, name: e.name, message: e.message }),
      );
      w.pending.push(done);
      if (c.awaited) await done;
    }
    return null;
  }, calls);
}

/** Every call's outcome, or `hung` for one that did not settle within `ms`. */
function outcomes(page: EnginePage, ms: number): Promise<Outcome[]> {
  return page.evaluate(async (ms) => {
    const w = window as never as { pending: Promise<Outcome>[] };
    return Promise.all(w.pending.map((p) => Promise.race([p, new Promise<Outcome>((r) => setTimeout(() => r({ index: -1, ok: false, hung: true }), ms))])));
  }, ms);
}

eachEngine('overlapping calls at random', (suite) => {
  async function runProgram(program: Step[]): Promise<string[]> {
    const expected = new Expected();
    // A site of its own per program: storage is per origin.
    const site = await startSite(TRACKS, PLAYLISTS, CHUNK);
    site.origin.pace = { bytes: 16 * 1024, everyMs: 5 }; // downloads run while the page makes its calls (each a hop to the worker)
    let outage = false;
    site.origin.faults.push(dropMedia(() => outage));
    const violations: string[] = [];
    let page: EnginePage | undefined;
    try {
      page = await openPage(suite.browser, site.url);
      await openCache(page, { ...site.options, throttle: { maxConcurrent: 2 }, backoff: BACKOFF, openTimeoutMs: 60_000 });
      await page.evaluate(async () => {
        await (window as never as { cache: { sync(): Promise<unknown> } }).cache.sync();
        return null;
      });
      let batch: Call[] = [];
      for (const [index, step] of program.entries()) {
        expected.apply(step);
        if (step.op === 'republish' || step.op === 'reset') {
          await startCalls(page, batch);
          batch = [];
          await site.publish(TRACKS.map((t) => ({ id: t.id, body: expected.current.get(t.id)! })), expected.epoch);
          continue;
        }
        if (step.op === 'damage') continue; // the Node runner damages its store; the page's is left whole
        if (step.op === 'outage') {
          await startCalls(page, batch); // the calls before it are made before the link drops
          batch = [];
          outage = step.on;
          if (step.on) await new Promise((r) => setTimeout(r, step.ms));
          continue;
        }
        const [method, args] = callOf(step);
        batch.push({ index, method, args, awaited: step.awaited });
      }
      await startCalls(page, batch);
      outage = false; // the link is back before the calls are judged
      for (const o of await outcomes(page, SETTLE_MS)) {
        if (o.hung) {
          violations.push(`a call did not settle within ${SETTLE_MS} ms`);
          continue;
        }
        if (o.ok) continue;
        const v = judgeRejection(program[o.index]!, o.index, { name: o.name!, message: o.message! }, true);
        if (v) violations.push(v);
      }
      if (violations.length) return violations;

      const status = await page.evaluate(async () => {
        const { cache } = window as never as { cache: { sync(): Promise<unknown>; resume(): Promise<void>; idle(): Promise<void>; status(): Promise<never> } };
        await cache.sync(); // the latest catalog in force
        await cache.resume();
        await cache.idle();
        return cache.status();
      });
      const p = page;
      const found = await expected.check(
        status,
        async (id) =>
          Buffer.from(
            await p.evaluate(async (id) => toBase64(await (window as never as { cache: { getTrack(id: string): Promise<Blob> } }).cache.getTrack(id)), id),
            'base64',
          ),
        async () => {
          await p.evaluate(async () => {
            await (window as never as { cache: { close(): Promise<void> } }).cache.close();
            return null;
          });
          const { verified, bad } = await auditPageChunks(p);
          return { present: new Set([...verified, ...bad]), bad };
        },
      );
      return [...found, ...(await page.errors()).map((e) => `the page logged an error: ${e}`)];
    } finally {
      await page?.close();
      await site.origin.close();
    }
  }

  suite.test(
    `${RUNS} programs of up to 14 calls (first the ${FOUND.length} that found bugs in Node, then at random), made in the page: every call settles with a result or a documented code; choices as called; offline tracks complete and byte-identical; only needed, verified chunks stored`,
    {},
    () => runPrograms(` in ${suite.engine.name}`, RUNS, runProgram),
    SOAK ? 3_600_000 : 240_000,
  );
});
