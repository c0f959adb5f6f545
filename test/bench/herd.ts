// Herd simulation (issue 3): a whole user base reset at the same instant, with the scheduler's
// own reset-window and backoff functions on a simulated clock. Prints the origin's peak
// requests per 10 s over its mean across the window, with and without the window.
import { DEFAULT_BACKOFF, backoffDelay } from '../../src/scheduler/backoff.js';
import { resetWindowDelayMs } from '../../src/scheduler/resetWindow.js';

export interface HerdOptions {
  clients: number;
  windowSeconds: number;
  /** Downloads each client has to make after the reset (one at a time). */
  requestsPerClient: number;
  /** Seconds a served request keeps the client busy (the transfer). */
  transferSeconds: number;
  /** Requests the origin serves per second; the rest get 503 and are retried with backoff. */
  originCapacityPerSecond: number;
  seed: number;
}

const DEFAULTS: HerdOptions = { clients: 100_000, windowSeconds: 900, requestsPerClient: 5, transferSeconds: 4, originCapacityPerSecond: 2000, seed: 42 };

/** A binary min-heap of [time, client] events. */
class Heap {
  private t: number[] = [];
  private c: number[] = [];
  get size() {
    return this.t.length;
  }
  push(time: number, client: number) {
    let i = this.t.length;
    this.t.push(time);
    this.c.push(client);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p]! <= time) break;
      [this.t[i], this.t[p]] = [this.t[p]!, this.t[i]!];
      [this.c[i], this.c[p]] = [this.c[p]!, this.c[i]!];
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.t[0]!, this.c[0]!];
    const t = this.t.pop()!;
    const c = this.c.pop()!;
    if (this.t.length > 0) {
      this.t[0] = t;
      this.c[0] = c;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.t.length && this.t[l]! < this.t[m]!) m = l;
        if (r < this.t.length && this.t[r]! < this.t[m]!) m = r;
        if (m === i) break;
        [this.t[i], this.t[m]] = [this.t[m]!, this.t[i]!];
        [this.c[i], this.c[m]] = [this.c[m]!, this.c[i]!];
        i = m;
      }
    }
    return top;
  }
}

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulateHerd(options: Partial<HerdOptions> = {}) {
  const o = { ...DEFAULTS, ...options };
  const random = mulberry32(o.seed);
  const heap = new Heap();
  const remaining = new Int32Array(o.clients).fill(o.requestsPerClient);
  const failures = new Int32Array(o.clients);
  const served = new Map<number, number>(); // second → requests served
  const bins = new Map<number, number>(); // 10-second bin → requests reaching the origin
  let requests = 0;
  let rejected = 0;
  let gaveUp = 0;
  let lastMs = 0;
  for (let c = 0; c < o.clients; c++) heap.push(resetWindowDelayMs(o.windowSeconds, random), c);
  while (heap.size > 0) {
    const [ms, c] = heap.pop();
    lastMs = ms;
    requests++;
    const bin = Math.floor(ms / 10_000);
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
    const second = Math.floor(ms / 1000);
    const load = served.get(second) ?? 0;
    if (load < o.originCapacityPerSecond) {
      served.set(second, load + 1);
      failures[c] = 0;
      if (--remaining[c]! > 0) heap.push(ms + o.transferSeconds * 1000, c);
    } else {
      rejected++;
      failures[c]!++;
      if (failures[c]! >= DEFAULT_BACKOFF.attempts) {
        gaveUp++;
        failures[c] = 0;
        if (--remaining[c]! > 0) heap.push(ms + backoffDelay(1, DEFAULT_BACKOFF, random), c);
      } else heap.push(ms + backoffDelay(failures[c]!, DEFAULT_BACKOFF, random), c);
    }
  }
  // The window the figure is taken over: the reset window, or the same 900 s when there is none.
  const spanBins = Math.max(1, Math.ceil((o.windowSeconds || DEFAULTS.windowSeconds) / 10));
  let inWindow = 0;
  let peak = 0;
  for (let b = 0; b < spanBins; b++) {
    const n = bins.get(b) ?? 0;
    inWindow += n;
    peak = Math.max(peak, n);
  }
  for (const n of bins.values()) peak = Math.max(peak, n);
  const mean = inWindow / spanBins;
  return { options: o, requests, rejected, gaveUp, peakPer10s: peak, meanPer10s: mean, ratio: peak / mean, lastSeconds: lastMs / 1000 };
}

export function printHerd(withWindow: ReturnType<typeof simulateHerd>, without: ReturnType<typeof simulateHerd>) {
  const o = withWindow.options;
  console.log(
    `\nherd: ${o.clients.toLocaleString('en')} clients reset at the same instant, ${o.requestsPerClient} downloads each (${o.transferSeconds} s apiece), origin serves ${o.originCapacityPerSecond}/s and answers 503 beyond; scheduler window + full-jitter backoff, simulated clock`,
  );
  for (const [label, r] of [['windowSeconds 900', withWindow], ['no window        ', without]] as const) {
    console.log(
      `  ${label}: peak ${r.peakPer10s.toLocaleString('en')} requests / 10 s, mean over 900 s ${Math.round(r.meanPer10s).toLocaleString('en')} → peak ÷ mean = ${r.ratio.toFixed(2)}   (${r.requests.toLocaleString("en")} requests, ${r.rejected.toLocaleString("en")} refused with 503, ${r.gaveUp.toLocaleString("en")} track downloads gave up, done after ${Math.round(r.lastSeconds)} s)`,
    );
  }
}
