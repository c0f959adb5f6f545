// What lines 1 and 9 share: the Cache Storage peer, and one round of several methods timed with
// the CPU of every browser process.
import type { Page } from 'playwright-core';
import { cpuMeter } from './procStats.js';

/** One method's run: wall time (NaN when it did not end) and CPU of all browser processes, in total and by kind of process. */
export interface MethodTiming {
  ms: number;
  cpuMs: number;
  cpuMsByKind: Record<string, number>;
}

/**
 * Runs every method once, in an order rotated by `round` so that no method always runs on a
 * warmer (or fuller) profile. `run` resolves with the method's own wall time in ms, or a
 * negative number when it was stopped without ending.
 */
export async function timeMethods<M extends string>(methods: readonly M[], round: number, run: (method: M) => Promise<number>): Promise<Record<M, MethodTiming>> {
  const out = {} as Record<M, MethodTiming>;
  for (const method of methods.map((_, i) => methods[(i + round) % methods.length]!)) {
    const cpu = cpuMeter();
    const ms = await run(method);
    const cpuMs = cpu.stop();
    out[method] = { ms: ms < 0 ? NaN : ms, cpuMs, cpuMsByKind: Object.fromEntries(Object.entries(cpu.byKind()).filter(([, v]) => v > 0)) };
  }
  return out;
}

/** The peer: `cache.put(url, await fetch(url))` into Cache Storage, 3 requests at a time (what Workbox precaching boils down to). Wall ms. */
export function cacheStoragePut(page: Page, ids: string[], cacheName: string): Promise<number> {
  return page.evaluate(
    async ({ ids, cacheName }) => {
      const c = await caches.open(cacheName);
      const queue = [...ids];
      const t = performance.now();
      await Promise.all([0, 1, 2].map(async () => {
        for (let id = queue.shift(); id; id = queue.shift()) await c.put(`/media/${id}`, await fetch(`/media/${id}`, { cache: 'no-store' }));
      }));
      return performance.now() - t;
    },
    { ids, cacheName },
  );
}
