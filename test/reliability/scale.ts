/** `npm run soak` sets RELIABILITY_SOAK=1: the long versions of the reliability runs. */
export const SOAK = process.env.RELIABILITY_SOAK === '1';

/** A small deterministic PRNG (mulberry32), so a failing stop point can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One line of figures, printed by the bounded runs and the soak alike. */
export function figure(line: string): void {
  console.log(`[reliability] ${line}`);
}
