/** Median and spread of a few rounds: what every benchmark line prints. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** Runs `round` `n` times one after another (the machine has 2 shared cores: never in parallel). */
export async function rounds<T>(n: number, round: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await round(i));
  return out;
}

/** `xs` picked by `key` from every round. */
export function pick<T>(rows: T[], key: (row: T) => number): Spread {
  return spread(rows.map(key));
}
