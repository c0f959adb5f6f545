import { describe, expect, it } from 'vitest';
import { UNCAPPED_BUCKETS, bucketCapacity, requestSize } from '../../../src/scheduler/requestSize.js';

const CHUNK = 256 * 1024;

describe('bucket capacity and request size', () => {
  it.each([
    // cap (B/s), bucket, request
    [Infinity, CHUNK, UNCAPPED_BUCKETS * CHUNK],
    [0.5e6, CHUNK - CHUNK / 4, CHUNK - CHUNK / 4 - 7500],
    [2e6, CHUNK - CHUNK / 4, CHUNK - CHUNK / 4 - 30_000],
    [8e6, CHUNK / 2, CHUNK / 4],
  ])('at %d B/s: a bucket of %d bytes, requests of %d', (cap, bucket, request) => {
    expect(bucketCapacity(CHUNK, cap)).toBe(bucket);
    expect(requestSize(bucketCapacity(CHUNK, cap), cap)).toBe(request);
  });

  it('capped: a request never exceeds the bucket, nor the bucket one chunk (the bound is cap × T + one chunk)', () => {
    for (const cap of [1e3, 1e5, 3e5, 1e6, 4e6, 1.6e7, 1e8]) {
      for (const chunk of [16 * 1024, 64 * 1024, CHUNK, 4 * 1024 * 1024]) {
        const bucket = bucketCapacity(chunk, cap);
        expect(bucket).toBeLessThanOrEqual(chunk);
        expect(requestSize(bucket, cap)).toBeLessThanOrEqual(bucket);
        expect(requestSize(bucket, cap)).toBeGreaterThanOrEqual(bucket / 2);
      }
    }
  });
});
