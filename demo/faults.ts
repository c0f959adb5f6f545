/** Server-side knobs of the flaky origin (the demo's "Flaky origin" panel sets them). */
export interface Faults {
  /** Added before every media and manifest response, in ms. */
  latencyMs: number;
  /** Media body bytes per second per response (0 = as fast as loopback goes). */
  bytesPerSecond: number;
  /** Probability that a media request answers 503. */
  errorRate: number;
  /** Probability that a media response is cut off half-way (a reset connection). */
  dropRate: number;
  /** Probability of a 429 Too Many Requests with `Retry-After: retryAfterSeconds`. */
  throttleRate: number;
  retryAfterSeconds: number;
  /** Probability that a media response has one byte flipped (bad bytes from a CDN). */
  corruptRate: number;
  /** The manifest URL answers 503 (the service is unreachable). */
  manifestDown: boolean;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  bytesPerSecond: 0,
  errorRate: 0,
  dropRate: 0,
  throttleRate: 0,
  retryAfterSeconds: 2,
  corruptRate: 0,
  manifestDown: false,
};

/** Applies the known fields of a JSON body to `faults`, each checked; returns what was wrong, if anything. */
export function updateFaults(faults: Faults, input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return 'send a JSON object of fault settings';
  for (const [key, value] of Object.entries(input)) {
    if (!(key in NO_FAULTS)) return `unknown fault "${key}"; known: ${Object.keys(NO_FAULTS).join(', ')}`;
    const k = key as keyof Faults;
    if (k === 'manifestDown') {
      if (typeof value !== 'boolean') return 'manifestDown must be true or false';
      faults.manifestDown = value;
    } else {
      const isRate = k.endsWith('Rate');
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (isRate && value > 1)) return `${k} must be a number${isRate ? ' from 0 to 1' : ' ≥ 0'}`;
      faults[k] = value;
    }
  }
  return null;
}
