import { describe, expect, it } from 'vitest';
import { parseContentRange } from '../../../src/downloader/parseContentRange.js';

describe('parseContentRange (RFC 9110 §14.4)', () => {
  it.each([
    ['bytes 0-99/1000', { start: 0, end: 99, size: 1000 }],
    ['bytes 900-999/1000', { start: 900, end: 999, size: 1000 }],
    ['bytes 5-5/*', { start: 5, end: 5, size: undefined }],
    ['  BYTES 1-2/3 ', { start: 1, end: 2, size: 3 }],
    [null, undefined],
    ['', undefined],
    ['bytes */1000', undefined], // an unsatisfied-range answer, not a range
    ['bytes 10-5/1000', undefined], // end before start
    ['bytes 0-1000/1000', undefined], // end past the size
    ['bytes 0-99', undefined],
    ['items 0-99/1000', undefined],
    ['bytes -1-99/1000', undefined],
    ['bytes 0-99/1000, 200-299/1000', undefined],
  ])('%j → %j', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });
});
