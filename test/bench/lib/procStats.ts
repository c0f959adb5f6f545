// What the browser costs the machine, read from /proc: CPU time and memory of every Chromium
// process this Node process started (the browser, its renderers, GPU and utility processes).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between the listing and the read
  }
}

/** pid → [ppid, utime + stime in ms] for every process (fields 4, 14 and 15 of /proc/<pid>/stat). */
function processTable(): Map<number, { ppid: number; cpuMs: number }> {
  const table = new Map<number, { ppid: number; cpuMs: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    table.set(Number(name), { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
  }
  return table;
}

function isChromium(pid: number): boolean {
  try {
    return /chrom/.test(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return false;
  }
}

/** The Chromium processes descending from this Node process (playwright's browser and its children). */
export function browserProcesses(): Map<number, number> {
  const table = processTable();
  const mine = new Set<number>([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of table) if (!mine.has(pid) && mine.has(p.ppid)) (mine.add(pid), (grew = true));
  }
  const out = new Map<number, number>();
  for (const pid of mine) if (pid !== process.pid && isChromium(pid)) out.set(pid, table.get(pid)!.cpuMs);
  return out;
}

/** What a Chromium process is: browser, renderer, gpu, or a utility's sub-type (network, storage, audio…). */
function processKind(pid: number): string {
  const args = (read(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/); // Chromium rewrites its title: spaces, not NULs
  const type = args.find((a) => a.startsWith('--type='))?.slice(7);
  if (!type) return 'browser';
  const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.slice(19);
  return sub ? sub.replace(/\.mojom\.\w+$/, '') : type;
}

/** Starts a CPU meter over the browser's processes; the CPU ms used since (new processes count whole), in all and by kind. */
export function cpuMeter(): { stop(): number; byKind(): Record<string, number> } {
  const before = browserProcesses();
  const used = () => [...browserProcesses()].map(([pid, cpu]) => ({ pid, ms: cpu - (before.get(pid) ?? 0) }));
  return {
    stop: () => used().reduce((s, u) => s + u.ms, 0),
    byKind() {
      const out: Record<string, number> = {};
      for (const u of used()) out[processKind(u.pid)] = (out[processKind(u.pid)] ?? 0) + u.ms;
      return out;
    },
  };
}

/** Proportional set size of the browser's processes (shared pages split between them), bytes. */
export function browserPss(): number {
  let kb = 0;
  for (const pid of browserProcesses().keys()) {
    const m = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
    if (m) kb += Number(m[1]);
  }
  return kb * 1024;
}

/** Samples {@link browserPss} every `everyMs` until stopped; gives the baseline and the peak. */
export function memoryMeter(everyMs = 50): { stop(): { baseline: number; peak: number; growth: number } } {
  const baseline = browserPss();
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, browserPss())), everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, browserPss());
      return { baseline, peak, growth: peak - baseline };
    },
  };
}

/** The load average over 1 minute (the machine is shared: figures are printed beside it). */
export function loadAverage(): number {
  return Number((read('/proc/loadavg') ?? '0').split(' ')[0]);
}
