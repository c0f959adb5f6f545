import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/scheduler/backoff.js';

const options = { baseMs: 1000, capMs: 5000, attempts: 6 };

describe('backoffDelay: full jitter, uniform in [0, min(cap, base·2^(n−1)))', () => {
  it.each([
    // [failures, random(), expected ms]
    [1, 0, 0],
    [1, 0.5, 500],
    [1, 0.999, 999],
    [2, 0.5, 1000],
    [3, 0.5, 2000],
    [4, 0.5, 2500], // 8000 capped at 5000
    [10, 0.999, 4995],
    [0, 1, 1000], // before any failure: the first ceiling
  ])('after %i failures with random() = %f: %f ms', (failures, random, expected) => {
    expect(backoffDelay(failures, options, () => random)).toBeCloseTo(expected, 6);
  });
});
