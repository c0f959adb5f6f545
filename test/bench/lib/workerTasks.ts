// The cache worker's tasks from a Chromium trace (CDP Tracing through the page's session, the
// `toplevel` category): each task the worker thread ran (RunTask), its wall time and its thread
// time. The thread time is what the task cost the worker; the wall time also counts the moments
// the OS gave the CPU to other processes (a loaded machine), which a heartbeat sees as lateness.
import type { BrowserContext, Page } from 'playwright-core';

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

export interface WorkerTasks {
  /** Longest task of a dedicated worker thread: wall ms and its thread ms. */
  longestWallMs: number;
  longestThreadMs: number;
  /** Longest thread time of any task (may be another task than the longest wall). */
  maxThreadMs: number;
  tasks: number;
  /** The tasks that used the most thread time: start (µs, the trace clock), wall and thread ms. */
  top: { ts: number; wallMs: number; threadMs: number; inside: string[] }[];
}

/** Starts a trace; `stop()` gives the dedicated workers' tasks since. */
export async function traceWorkerTasks(context: BrowserContext, page: Page, detail = false): Promise<{ stop(): Promise<WorkerTasks> }> {
  const session = await context.newCDPSession(page);
  const events: TraceEvent[] = [];
  session.on('Tracing.dataCollected' as never, ((e: { value: TraceEvent[] }) => events.push(...e.value)) as never);
  await session.send('Tracing.start' as never, { traceConfig: { includedCategories: detail ? ['toplevel', '__metadata', 'v8', 'devtools.timeline', 'disabled-by-default-v8.gc', 'v8.execute'] : ['toplevel', '__metadata'], recordMode: 'recordContinuously' }, transferMode: 'ReportEvents' } as never);
  return {
    async stop() {
      const done = new Promise<void>((resolve) => session.once('Tracing.tracingComplete' as never, (() => resolve()) as never));
      await session.send('Tracing.end' as never);
      await done;
      await session.detach().catch(() => {});
      const workers = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && /DedicatedWorker/.test(e.args?.name ?? '')).map((e) => `${e.pid}:${e.tid}`));
      const tasks = events.filter((e) => e.ph === 'X' && (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') && workers.has(`${e.pid}:${e.tid}`));
      let longest: TraceEvent | undefined;
      let maxThread = 0;
      for (const t of tasks) {
        if (!longest || (t.dur ?? 0) > (longest.dur ?? 0)) longest = t;
        maxThread = Math.max(maxThread, t.tdur ?? 0);
      }
      // With `detail`: the traced events of at least 2 ms inside each of these tasks (GC, compile, script…).
      const inside = (t: TraceEvent) =>
        events
          .filter((e) => e !== t && e.ph === 'X' && e.pid === t.pid && e.tid === t.tid && e.ts >= t.ts && e.ts < t.ts + (t.dur ?? 0) && (e.dur ?? 0) >= 2000)
          .map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(1)} ms${e.args && 'data' in e.args ? ` ${JSON.stringify((e.args as { data: unknown }).data).slice(0, 120)}` : ''}`);
      const top = [...tasks].sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0)).slice(0, 5).map((t) => ({ ts: t.ts, wallMs: (t.dur ?? 0) / 1000, threadMs: (t.tdur ?? 0) / 1000, inside: detail ? inside(t) : [] }));
      return { longestWallMs: (longest?.dur ?? 0) / 1000, longestThreadMs: (longest?.tdur ?? 0) / 1000, maxThreadMs: maxThread / 1000, tasks: tasks.length, top };
    },
  };
}
