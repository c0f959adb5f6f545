// The memory of the browser a test launched, read from /proc: the proportional set size (PSS:
// shared pages split between the processes that map them) summed over every browser process
// descending from this Node process — Chromium's browser, renderers, GPU and utility processes;
// Firefox's parent and content processes; WebKitGTK's WebKitWebDriver, MiniBrowser,
// WebKitWebProcess and WebKitNetworkProcess. Vitest runs each test file in a process of its own,
// so these are the browsers this file launched. Xvfb and other helpers are left out.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

const BROWSER_EXE = /chrom|firefox|webkit|minibrowser/i;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between the listing and the read
  }
}

/** pid → executable name (with Chromium's process type) of the browser processes descending from this process. */
export function browserProcessTree(root = process.pid): Map<number, string> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (stat) parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const mine = new Set<number>([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (!mine.has(pid) && mine.has(ppid)) (mine.add(pid), (grew = true));
  }
  const out = new Map<number, string>();
  for (const pid of mine) {
    if (pid === process.pid) continue; // the root itself counts when it is a browser
    let exe: string;
    try {
      exe = basename(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      continue;
    }
    if (!BROWSER_EXE.test(exe)) continue;
    // Chromium's processes share one executable: tell them apart by their --type (renderer, gpu-process, utility: audio, network…).
    const args = (read(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/);
    const type = args.find((a) => a.startsWith('--type='))?.slice(7);
    const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.slice(19).replace(/\.mojom\.\w+$/, '');
    out.set(pid, type ? `${exe}:${sub ?? type}` : exe);
  }
  return out;
}

/** PSS of {@link browserProcessTree} (below `root`: this process by default), bytes, in all and by executable. */
export function browserTreePss(root = process.pid): { total: number; byExe: Record<string, number> } {
  let total = 0;
  const byExe: Record<string, number> = {};
  for (const [pid, exe] of browserProcessTree(root)) {
    const m = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
    if (!m) continue;
    const bytes = Number(m[1]) * 1024;
    total += bytes;
    byExe[exe] = (byExe[exe] ?? 0) + bytes;
  }
  return { total, byExe };
}

/**
 * Samples {@link browserTreePss} every `everyMs` until stopped: the baseline, the total's peak and
 * its growth, and each executable at its own peak (`peakByExe`: they need not peak together).
 */
export function treeMemoryMeter(root = process.pid, everyMs = 50): {
  stop(): { baseline: number; peak: number; growth: number; baselineByExe: Record<string, number>; peakByExe: Record<string, number> };
} {
  const first = browserTreePss(root);
  let peak = first.total;
  const peakByExe: Record<string, number> = { ...first.byExe };
  const sample = () => {
    const now = browserTreePss(root);
    peak = Math.max(peak, now.total);
    for (const [exe, bytes] of Object.entries(now.byExe)) peakByExe[exe] = Math.max(peakByExe[exe] ?? 0, bytes);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { baseline: first.total, peak, growth: peak - first.total, baselineByExe: first.byExe, peakByExe };
    },
  };
}

/**
 * The processes that hold the page and its workers (and the media element's pipeline): Chromium's
 * renderers, WebKitGTK's web process. Not the browser process, which also runs IndexedDB's backend
 * (Chromium), nor WebKit's network process (its storage).
 */
const PAGE_PROCESS = /:renderer$|^WebKitWebProcess$/;

/**
 * Growth of the page's processes over a meter's run, each at its own peak over its baseline; NaN
 * where none is told apart (Firefox's content processes share its executable's name).
 */
export function pageProcessGrowth(m: { baselineByExe: Record<string, number>; peakByExe: Record<string, number> }): number {
  const page = Object.entries(m.peakByExe).filter(([exe]) => PAGE_PROCESS.test(exe));
  return page.length === 0 ? NaN : page.reduce((sum, [exe, peak]) => sum + peak - (m.baselineByExe[exe] ?? 0), 0);
}
