import { describe, expect, it } from 'vitest';
import { eta } from '../../../demo/app/format.js';

describe('demo: time left', () => {
  it('says done only when nothing is left; under a second left reads 0:01 left (a track at 83 % said "done")', () => {
    expect(eta(null)).toBe('');
    expect(eta(0)).toBe('done');
    expect(eta(0.4)).toBe('0:01 left');
    expect(eta(0.99)).toBe('0:01 left');
    expect(eta(61.2)).toBe('1:02 left');
  });
});
