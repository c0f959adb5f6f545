export interface BackoffOptions {
  /** First retry waits up to this long. Default 1000 ms (docs/how-it-works.md). */
  baseMs: number;
  /** No retry waits longer. Default 5 min (docs/how-it-works.md). */
  capMs: number;
  /** Attempts per track, the first included, before it fails. Default 6 (docs/how-it-works.md). */
  attempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 5 * 60 * 1000, attempts: 6 };

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter",
 * 2015): a uniformly random wait in [0, min(cap, base·2^(n-1))) after the n-th failure. Spreads
 * retries of many clients instead of synchronising them.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  return random() * ceiling;
}
