import { describe, expect, it } from 'vitest';
import { RequestThrottle } from '../../../src/scheduler/RequestThrottle.js';
import { bucketCapacity } from '../../../src/scheduler/requestSize.js';
import { ManualClock } from '../../helpers/ManualClock.js';

const KiB = 1024;

describe('RequestThrottle', () => {
  it('sizes the bucket from the largest chunk and the cap, and follows both', () => {
    const t = new RequestThrottle(new ManualClock(), { maxConcurrent: 3, bytesPerSecond: Infinity }, 256 * KiB);
    expect(t.bucket.burst).toBe(bucketCapacity(256 * KiB, Infinity));
    t.setChunkSize(64 * KiB);
    expect(t.bucket.burst).toBe(bucketCapacity(64 * KiB, Infinity));
    t.set({ maxConcurrent: 2, bytesPerSecond: 500_000 });
    expect(t.bucket.burst).toBe(bucketCapacity(64 * KiB, 500_000)); // the plan's chunk size is kept
    expect(t.bucket.bytesPerSecond).toBe(500_000);
    expect(t.maxConcurrent).toBe(2);
    expect(t.settings).toEqual({ maxConcurrent: 2, bytesPerSecond: 500_000 });
  });

  it('says when a cap is set where there was none (requests sized for no cap must stop), and only then', () => {
    const t = new RequestThrottle(new ManualClock(), { maxConcurrent: 3, bytesPerSecond: Infinity }, 256 * KiB);
    expect(t.set({ maxConcurrent: 3, bytesPerSecond: 1_000_000 })).toBe(true);
    expect(t.set({ maxConcurrent: 3, bytesPerSecond: 500_000 })).toBe(false);
    expect(t.set({ maxConcurrent: 1, bytesPerSecond: Infinity })).toBe(false);
  });
});
