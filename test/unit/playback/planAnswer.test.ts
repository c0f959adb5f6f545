import { describe, expect, it } from 'vitest';
import { type AnswerPlan, planAnswer } from '../../../src/playback/planAnswer.js';

const SIZE = 1000;
const ETAG = '"content-id-1"';

function plan(method: string, headers: Record<string, string>): AnswerPlan {
  return planAnswer({ method, headers: new Headers(headers) }, { size: SIZE, etag: ETAG });
}

/** [what, method, request headers, status, byte range of the body or undefined]. */
type Row = [string, string, Record<string, string>, number, [number, number]?];

const rows: Row[] = [
  ['no Range: whole', 'GET', {}, 200, [0, 999]],
  ['one range', 'GET', { range: 'bytes=0-99' }, 206, [0, 99]],
  ['open-ended bytes=N-', 'GET', { range: 'bytes=900-' }, 206, [900, 999]],
  ['last byte', 'GET', { range: 'bytes=999-' }, 206, [999, 999]],
  ['end past the size is clamped', 'GET', { range: 'bytes=500-5000' }, 206, [500, 999]],
  ['suffix bytes=-N', 'GET', { range: 'bytes=-100' }, 206, [900, 999]],
  ['suffix equal to the size: whole, as 206 (§14.1.2)', 'GET', { range: 'bytes=-1000' }, 206, [0, 999]],
  ['suffix longer than the size selects the whole (§14.1.2)', 'GET', { range: 'bytes=-5000' }, 206, [0, 999]],
  ['suffix of 0 is unsatisfiable', 'GET', { range: 'bytes=-0' }, 416],
  ['start at the size is unsatisfiable', 'GET', { range: 'bytes=1000-' }, 416],
  ['start past the size is unsatisfiable', 'GET', { range: 'bytes=2000-3000' }, 416],
  ['unit names are case-insensitive', 'GET', { range: 'Bytes=10-19' }, 206, [10, 19]],
  ['upper-case unit', 'GET', { range: 'BYTES=10-19' }, 206, [10, 19]],
  ['whitespace around a range', 'GET', { range: 'bytes= 10 - 19 ' }, 206, [10, 19]],
  ['unknown unit is ignored (§14.2)', 'GET', { range: 'items=0-5' }, 200, [0, 999]],
  ['no "=": ignored', 'GET', { range: 'bytes' }, 200, [0, 999]],
  ['malformed range: ignored', 'GET', { range: 'bytes=abc' }, 200, [0, 999]],
  ['empty ranges: ignored', 'GET', { range: 'bytes=' }, 200, [0, 999]],
  ['several ranges: whole (§14.2 MAY ignore)', 'GET', { range: 'bytes=0-9,20-29' }, 200, [0, 999]],
  ['several ranges, one satisfiable: that one', 'GET', { range: 'bytes=0-9,5000-6000' }, 206, [0, 9]],
  ['several ranges, none satisfiable: 416', 'GET', { range: 'bytes=2000-,3000-' }, 416],
  ['HEAD ignores Range (§14.2)', 'HEAD', { range: 'bytes=0-9' }, 200, [0, 999]],
  ['HEAD without Range', 'HEAD', {}, 200, [0, 999]],
  ['If-Range matching: the range', 'GET', { range: 'bytes=0-9', 'if-range': ETAG }, 206, [0, 9]],
  ['If-Range different tag: whole', 'GET', { range: 'bytes=0-9', 'if-range': '"other"' }, 200, [0, 999]],
  ['If-Range weak tag: whole (§13.1.5)', 'GET', { range: 'bytes=0-9', 'if-range': `W/${ETAG}` }, 200, [0, 999]],
  ['If-Range date: whole (no Last-Modified)', 'GET', { range: 'bytes=0-9', 'if-range': 'Tue, 01 Jan 2030 00:00:00 GMT' }, 200, [0, 999]],
  ['If-Range without Range: whole', 'GET', { 'if-range': ETAG }, 200, [0, 999]],
  ['If-Range matching, unsatisfiable Range: 416', 'GET', { range: 'bytes=5000-', 'if-range': ETAG }, 416],
  ['If-None-Match matching: 304', 'GET', { 'if-none-match': ETAG }, 304],
  ['If-None-Match weak form matches (weak comparison)', 'GET', { 'if-none-match': `W/${ETAG}` }, 304],
  ['If-None-Match in a list', 'GET', { 'if-none-match': `"a", ${ETAG}` }, 304],
  ['If-None-Match *: 304', 'GET', { 'if-none-match': '*' }, 304],
  ['If-None-Match other: 200', 'GET', { 'if-none-match': '"other"' }, 200, [0, 999]],
  ['If-None-Match matching beats Range', 'GET', { 'if-none-match': ETAG, range: 'bytes=0-9' }, 304],
  ['If-None-Match matching on HEAD: 304', 'HEAD', { 'if-none-match': ETAG }, 304],
  ['If-Match matching: the range', 'GET', { 'if-match': ETAG, range: 'bytes=0-9' }, 206, [0, 9]],
  ['If-Match *: passes', 'GET', { 'if-match': '*' }, 200, [0, 999]],
  ['If-Match other: 412', 'GET', { 'if-match': '"other"' }, 412],
  ['If-Match weak: 412 (strong comparison)', 'GET', { 'if-match': `W/${ETAG}` }, 412],
  ['If-Match mismatch beats If-None-Match and Range', 'GET', { 'if-match': '"x"', 'if-none-match': ETAG, range: 'bytes=5000-' }, 412],
  ['If-Match mismatch beats an unsatisfiable Range', 'GET', { 'if-match': '"x"', range: 'bytes=5000-' }, 412],
  ['If-Modified-Since is ignored (no modification date, §13.1.3)', 'GET', { 'if-modified-since': 'Tue, 01 Jan 2030 00:00:00 GMT' }, 200, [0, 999]],
  ['If-Unmodified-Since is ignored (no modification date, §13.1.4)', 'GET', { 'if-unmodified-since': 'Tue, 01 Jan 1980 00:00:00 GMT' }, 200, [0, 999]],
];

describe('planAnswer: RFC 9110 answers for a 1000-byte representation', () => {
  it.each(rows)('%s', (_what, method, headers, status, range) => {
    const answer = plan(method, headers);
    expect(answer.status).toBe(status);
    if (answer.status === 200 || answer.status === 206) {
      expect([answer.start, answer.end]).toEqual(range);
      expect(answer.body).toBe(method !== 'HEAD');
    } else {
      expect(range).toBeUndefined();
    }
  });
});
