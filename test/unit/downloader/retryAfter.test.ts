import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/downloader/retryAfter.js';

const now = Date.UTC(2026, 10, 22, 8, 0, 0);

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 30 ', 30_000],
    [new Date(now + 45_000).toUTCString(), 45_000],
    ['Sun, 22 Nov 2026 08:01:00 GMT', 60_000],
    [new Date(now - 10_000).toUTCString(), 0], // a date in the past: no wait
    [null, undefined],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('%j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
