import { describe, expect, it } from 'vitest';
import { RepriseError } from '../../../src/errors/RepriseError.js';
import { RetryBook } from '../../../src/scheduler/RetryBook.js';

const book = () => new RetryBook({ backoff: { baseMs: 1000, capMs: 60_000, attempts: 3 }, random: () => 0.5 });
const network = (extra: Record<string, unknown> = {}) => new RepriseError('network', 'x', { transient: true, ...extra });
const a = { trackId: 'a', origin: 'https://cdn.example' };
const b = { trackId: 'b', origin: 'https://cdn.example' };

describe('RetryBook', () => {
  it('books a retry: the track waits out its backoff, a play waives it, and the count goes on until the track ends', () => {
    const r = book();
    expect(r.failed(network(), a, 0, 10_000)).toMatchObject({ action: 'retry' });
    expect(r.notBefore('a')).toBe(10_500);
    r.waive('a');
    expect(r.notBefore('a')).toBe(0);
    r.failed(network(), a, 0, 20_000);
    expect(r.failed(network(), a, 0, 30_000)).toMatchObject({ action: 'fail' }); // the third failure in a row, though waived once
  });

  it("an origin's Retry-After holds it until the latest one; a new plan keeps only the failures of tracks it keeps", () => {
    const r = book();
    r.failed(network({ retryAfterMs: 120_000 }), a, 0, 0);
    r.failed(network({ retryAfterMs: 30_000 }), b, 0, 1000);
    expect(r.originUntil.get(a.origin)).toBe(120_000);
    r.retain((id) => id === 'b');
    expect(r.notBefore('a')).toBe(0);
    expect(r.notBefore('b')).toBeGreaterThan(1000);
    r.forget('b');
    expect(r.notBefore('b')).toBe(0);
  });

  it('a quota error or a refusal books nothing', () => {
    const r = book();
    expect(r.failed(new RepriseError('quota-exceeded', 'full'), a, 0, 0)).toEqual({ action: 'quota' });
    expect(r.notBefore('a')).toBe(0);
    expect(r.originUntil.size).toBe(0);
  });
});
