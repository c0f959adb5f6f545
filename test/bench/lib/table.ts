// The benchmark table: one row per figure, reprise beside its baseline, the ratio per round
// (median [min–max] over the rounds), and issue 16's or 18's aim with met / missed.
import { type Spread, spread } from './stats.js';

export interface Row {
  line: string;
  figure: string;
  reprise: Spread;
  baselineName: string;
  baseline?: Spread;
  ratio?: Spread;
  unit: string;
  aim?: string;
  met?: boolean;
  /** The machine's 1-minute load average while the line ran. */
  load: number;
}

/** A row from per-round values of reprise and its baseline; the ratio is taken per round. */
/** An aim: on the ratio when there is a baseline, else (or with `on: 'reprise'`) on reprise's own figure. */
export interface Aim {
  text: string;
  ok(value: number): boolean;
  on?: 'reprise';
}

export function compare(line: string, figure: string, unit: string, reprise: number[], baselineName: string, baseline: number[] | undefined, load: number, aim?: Aim): Row {
  const ratio = baseline ? spread(reprise.map((r, i) => r / baseline[i]!)) : undefined;
  const row: Row = { line, figure, unit, reprise: spread(reprise), baselineName, load, ...(baseline ? { baseline: spread(baseline), ratio: ratio! } : {}) };
  if (aim) {
    row.aim = aim.text;
    row.met = aim.ok(ratio && aim.on !== 'reprise' ? ratio.median : row.reprise.median);
  }
  return row;
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const show = (s: Spread | undefined) => (!s ? '' : s.n === 1 || s.min === s.max ? num(s.median) : `${num(s.median)} [${num(s.min)}–${num(s.max)}]`);

export function markdown(rows: Row[]): string {
  const out = ['| line | figure | reprise | baseline | ratio | aim | met | load |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    out.push(`| ${r.line} | ${r.figure} (${r.unit}) | ${show(r.reprise)} | ${r.baseline ? `${show(r.baseline)} ${r.baselineName}` : r.baselineName} | ${show(r.ratio)} | ${r.aim ?? ''} | ${met} | ${r.load.toFixed(1)} |`);
  }
  return out.join('\n');
}
