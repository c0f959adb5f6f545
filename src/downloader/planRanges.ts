export interface ChunkRun {
  first: number;
  /** Inclusive. */
  last: number;
}

/**
 * Groups sorted chunk indices into runs of consecutive chunks, one `Range` request each. Runs
 * are not merged across gaps: a gap is chunks already held, and fetching them again would
 * spend the user's bandwidth on bytes that verified.
 */
export function planRanges(indices: readonly number[]): ChunkRun[] {
  const runs: ChunkRun[] = [];
  for (const i of indices) {
    const run = runs[runs.length - 1];
    if (run && i === run.last + 1) run.last = i;
    else runs.push({ first: i, last: i });
  }
  return runs;
}
