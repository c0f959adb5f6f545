// Which code makes the cache worker's longest tasks during a sync of the large library (line 5):
// a trace of the worker thread gives its tasks (wall and thread time), a CDP Profiler run of the
// worker (100 µs sampling, a bundle with names kept) what ran inside the ones that used the most
// thread time (inclusive ms per function and module). A diagnostic, not a line of the suite:
// `npm run build && npx tsx test/bench/long-task.ts [format] [tracks]`.
import type { Page } from 'playwright-core';
import { launch } from '../browser/harness.js';
import { publishLibrary } from './large-library.js';
import { openPage, readableCacheWorker } from './lib/benchSite.js';
import { attachCacheWorker, moduleAt, type WorkerCdp } from './lib/workerCdp.js';
import { traceWorkerTasks } from './lib/workerTasks.js';

interface ProfileNode {
  id: number;
  parent?: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Inclusive ms per function of the samples between `from` and `to` (µs, the profile's clock). */
export function functionsBetween(profile: Profile, bundle: string, from: number, to: number, top = 14): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const name = (n: ProfileNode) => {
    const f = n.callFrame;
    const where = f.url === '' ? 'native' : /cache-worker\.js$/.test(f.url) ? moduleAt(bundle, f.lineNumber) : f.url.split('/').pop();
    return `${f.functionName || '(anonymous)'} (${where})`;
  };
  const incl = new Map<string, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) return;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = byId.get(id); n; n = n.parent === undefined ? undefined : byId.get(n.parent)) {
      const k = name(n);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  });
  return [...incl].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, ms]) => `${ms.toFixed(1).padStart(6)} ms  ${fn}`);
}

async function profiled(context: Parameters<typeof traceWorkerTasks>[0], page: Page, cdp: () => Promise<WorkerCdp>, bundle: string, step: string, fn: () => Promise<number>) {
  const worker = await cdp();
  await worker.call('Profiler.enable');
  await worker.call('Profiler.setSamplingInterval', { interval: 100 });
  await worker.call('Profiler.start');
  const trace = await traceWorkerTasks(context, page);
  const ms = await fn();
  const tasks = await trace.stop();
  const { profile } = await worker.call<{ profile: Profile }>('Profiler.stop');
  await worker.detach();
  const end = profile.startTime + profile.timeDeltas.reduce((a, b) => a + b, 0);
  console.log(`  (profile ${profile.startTime}–${end}; first top task at ${tasks.top[0]?.ts})`);
  console.log(`\n${step}: ${ms.toFixed(0)} ms; ${tasks.tasks} worker tasks, the longest ${tasks.longestWallMs.toFixed(1)} ms wall (${tasks.longestThreadMs.toFixed(1)} ms thread)`);
  for (const t of tasks.top.slice(0, 3)) console.log(`  task of ${t.threadMs.toFixed(1)} ms thread, ${t.wallMs.toFixed(1)} ms wall:\n    ${functionsBetween(profile, bundle, t.ts, t.ts + t.wallMs * 1000).join('\n    ')}`);
}

async function main(format: 1 | 2, tracks: number) {
  const site = await publishLibrary(format, tracks, true);
  const browser = await launch();
  try {
    const bundle = await readableCacheWorker();
    let page = await openPage(browser.context, site.url);
    const open = (p: Page) => p.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      const t = performance.now();
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
      await w.cache.pause();
      return performance.now() - t;
    }, site.options);
    const sync = () => page.evaluate(async () => {
      const t = performance.now();
      await (window as never as Record<string, any>).cache.sync();
      return performance.now() - t;
    });
    await open(page);
    const cdp = () => attachCacheWorker(browser.context, page);
    await profiled(browser.context, page, cdp, bundle, 'first sync', sync);
    await profiled(browser.context, page, cdp, bundle, 'unchanged sync', sync);
    await page.evaluate(() => (window as never as Record<string, any>).cache.setOffline('p0', true));
    await page.close();
    page = await openPage(browser.context, site.url);
    // The reopen: the profiler attaches once the worker runs, so this step is traced only.
    const trace = await traceWorkerTasks(browser.context, page, true);
    const ms = await open(page);
    const tasks = await trace.stop();
    console.log(`\nreload: openOfflineCache() ${ms.toFixed(0)} ms; the longest worker task ${tasks.longestWallMs.toFixed(1)} ms wall (${tasks.longestThreadMs.toFixed(1)} ms thread); most thread time ${tasks.maxThreadMs.toFixed(1)} ms`);
    for (const t of tasks.top.slice(0, 3)) console.log(`  task of ${t.threadMs.toFixed(1)} ms thread, ${t.wallMs.toFixed(1)} ms wall:\n    ${t.inside.join('\n    ')}`);
    await profiled(browser.context, page, cdp, bundle, 'sync after the reload', sync);
    await site.publish('republish');
    await profiled(browser.context, page, cdp, bundle, 'one track re-published', sync);
    await site.publish('playlist');
    await profiled(browser.context, page, cdp, bundle, 'one playlist edited', sync);
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(Number(process.argv[2] ?? 2) as 1 | 2, Number(process.argv[3] ?? 10_000));
