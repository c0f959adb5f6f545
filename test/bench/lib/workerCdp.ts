// The DevTools protocol inside reprise's cache worker (Chromium): the worker's JS heap
// (Runtime.getHeapUsage) and a CPU profile (Profiler) with its top self-time functions.
// Playwright gives no CDP session for a worker, so this attaches through the page's session
// (Target.attachToTarget without flattening) and talks with Target.sendMessageToTarget.
import type { BrowserContext, Page } from 'playwright-core';

export interface WorkerCdp {
  call<T = any>(method: string, params?: object): Promise<T>;
  detach(): Promise<void>;
}

export const attachCacheWorker = (context: BrowserContext, page: Page) => attachTarget(context, page, (t) => t.type === 'worker' && t.url.includes('cache-worker.js'));
export const attachServiceWorker = (context: BrowserContext, page: Page) => attachTarget(context, page, (t) => t.type === 'service_worker');

async function attachTarget(context: BrowserContext, page: Page, match: (t: { type: string; url: string }) => boolean): Promise<WorkerCdp> {
  const session = await context.newCDPSession(page);
  const send = (method: string, params?: object) => session.send(method as never, params as never) as Promise<any>;
  const { targetInfos } = await send('Target.getTargets');
  const target = (targetInfos as { type: string; url: string; targetId: string }[]).find(match);
  if (!target) throw new Error('no such worker target yet: open the cache first');
  const { sessionId } = await send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  session.on('Target.receivedMessageFromTarget' as never, ((e: { sessionId: string; message: string }) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = m.id === undefined ? undefined : pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id!);
    if (m.error) waiter.reject(new Error(m.error.message));
    else waiter.resolve(m.result);
  }) as never);
  let next = 0;
  return {
    call(method, params = {}) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    },
    async detach() {
      await send('Target.detachFromTarget', { sessionId }).catch(() => {});
      await session.detach().catch(() => {});
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

/** The source module of a line of an unminified esbuild bundle (esbuild writes `// path` before each module). */
export function moduleAt(bundle: string, line: number): string {
  const lines = bundle.split('\n');
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = /^\s*\/\/ ((?:src|worker|node_modules)\/\S+)$/.exec(lines[i]!);
    if (m) return m[1]!.replace(/^node_modules\/(?:\.pnpm\/)?/, '');
  }
  return '';
}

/** Top self-time functions of a CDP Profiler.Profile: name, where, ms and share of the sampled time. */
export function topSelfTime(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, top = 12, bundle?: string) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const where = f.url === '' ? 'native' : bundle && /(cache-worker|sw)\.js$/.test(f.url) ? moduleAt(bundle, f.lineNumber) : `${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'} (${where})`;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, share: Math.round((us / total) * 1000) / 10 }));
}

/** Starts the worker's sampling profiler (200 µs); `stop()` gives its top self-time functions. */
export async function startProfile(cdp: WorkerCdp, bundle?: string, top = 12): Promise<{ stop(): Promise<ReturnType<typeof topSelfTime>> }> {
  await cdp.call('Profiler.enable');
  await cdp.call('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.call('Profiler.start');
  return { stop: async () => topSelfTime((await cdp.call('Profiler.stop')).profile, top, bundle) };
}

/** Runs `fn` with the worker's sampling profiler on; gives fn's result and the top self-time functions. */
export async function profileWorker<T>(cdp: WorkerCdp, fn: () => Promise<T>, bundle?: string, top = 12): Promise<{ value: T; top: ReturnType<typeof topSelfTime> }> {
  const profiler = await startProfile(cdp, bundle, top);
  const value = await fn();
  return { value, top: await profiler.stop() };
}
