// Which code makes the cache worker's longest tasks during a sync of the large library (line 5):
// a CDP Profiler run of the worker (100 µs sampling, a bundle with names kept), cut into busy
// stretches (consecutive samples that are not "(idle)" or "(program)"), the longest few printed
// with the functions that ran in them (inclusive time, bundle module). A diagnostic, not a line
// of the suite: `npm run build && npx tsx test/bench/long-task.ts [format] [tracks]`.
import { launch } from '../browser/harness.js';
import { publishLibrary } from './large-library.js';
import { openPage, readableCacheWorker, workerLateness } from './lib/benchSite.js';
import { attachCacheWorker, moduleAt } from './lib/workerCdp.js';

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

/** The longest busy stretches of a profile, each with its top inclusive functions. */
export function busyStretches(profile: Profile, bundle: string, count = 4, top = 14) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const name = (n: ProfileNode) => {
    const f = n.callFrame;
    const where = f.url === '' ? 'native' : /cache-worker\.js$/.test(f.url) ? moduleAt(bundle, f.lineNumber) : f.url.split('/').pop();
    return `${f.functionName || '(anonymous)'} (${where})`;
  };
  const idle = (id: number) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName);
  const stretches: { start: number; ms: number; samples: number[]; deltas: number[] }[] = [];
  let t = profile.startTime;
  let cur: (typeof stretches)[number] | undefined;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (idle(id)) {
      if (cur) stretches.push(cur);
      cur = undefined;
    } else {
      cur ??= { start: t, ms: 0, samples: [], deltas: [] };
      cur.ms += dt / 1000;
      cur.samples.push(id);
      cur.deltas.push(dt);
    }
    t += profile.timeDeltas[i] ?? 0;
  });
  if (cur) stretches.push(cur);
  return stretches
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((s) => {
      const incl = new Map<string, number>();
      s.samples.forEach((id, i) => {
        const seen = new Set<string>();
        for (let n: ProfileNode | undefined = byId.get(id); n; n = n.parent === undefined ? undefined : byId.get(n.parent)) {
          const k = name(n);
          if (seen.has(k)) continue;
          seen.add(k);
          incl.set(k, (incl.get(k) ?? 0) + s.deltas[i]! / 1000);
        }
      });
      return { atMs: Math.round((s.start - profile.startTime) / 1000), ms: Math.round(s.ms * 10) / 10, top: [...incl].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, ms]) => `${ms.toFixed(1).padStart(6)} ms  ${fn}`) };
    });
}

async function main(format: 1 | 2, tracks: number) {
  const site = await publishLibrary(format, tracks, true);
  const browser = await launch();
  try {
    const bundle = await readableCacheWorker();
    const page = await openPage(browser.context, site.url);
    await page.evaluate(async (options) => {
      const w = window as never as Record<string, any>;
      w.cache = await w.openOfflineCache({ ...options, serviceWorker: false });
    }, site.options);
    const cdp = await attachCacheWorker(browser.context, page);
    await cdp.call('Profiler.enable');
    await cdp.call('Profiler.setSamplingInterval', { interval: 100 });
    for (const step of ['first sync', 'unchanged sync', 'offline p0']) {
      await workerLateness(page);
      await cdp.call('Profiler.start');
      const ms = await page.evaluate(async (step) => {
        const cache = (window as never as Record<string, any>).cache;
        const t = performance.now();
        if (step === 'offline p0') {
          await cache.pause();
          await cache.setOffline('p0', true);
        } else await cache.sync();
        return performance.now() - t;
      }, step);
      const { profile } = await cdp.call<{ profile: Profile }>('Profiler.stop');
      console.log(`\n${step}: ${ms.toFixed(0)} ms, heartbeat lateness ${(await workerLateness(page)).toFixed(0)} ms`);
      for (const s of busyStretches(profile, bundle)) console.log(`  busy ${s.ms} ms at +${s.atMs} ms\n    ${s.top.join('\n    ')}`);
    }
    await cdp.detach();
  } finally {
    await browser.close();
    await site.origin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(Number(process.argv[2] ?? 2) as 1 | 2, Number(process.argv[3] ?? 10_000));
