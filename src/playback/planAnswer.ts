import rangeParser from 'range-parser';

/** What a request asks, as far as the answer's status and byte range depend on it. */
export interface AnswerRequest {
  method: string;
  headers: { get(name: string): string | null };
}

/** The representation: its length and its strong validator (a quoted entity tag). */
export interface Representation {
  size: number;
  etag: string;
}

/**
 * The answer without its bytes: a status and, for 200 and 206, the inclusive byte range the
 * body carries (`body` false for HEAD). Why is set for every answer that is not a plain 200.
 */
export type AnswerPlan =
  | { status: 200 | 206; start: number; end: number; body: boolean; why?: string }
  | { status: 304 | 412 | 416; why: string };

/**
 * Decides the answer to a GET or HEAD as an HTTP server does (RFC 9110), in the order of
 * §13.2.2 and of pillarjs/send: If-Match (412), If-None-Match (304), then If-Range, then
 * Range. The representation has no modification date, so If-Unmodified-Since,
 * If-Modified-Since and a date in If-Range are evaluated as §13.1.3–13.1.5 require for that case.
 */
export function planAnswer(request: AnswerRequest, rep: Representation): AnswerPlan {
  const header = (name: string) => request.headers.get(name);
  const whole = { start: 0, end: rep.size - 1, body: request.method !== 'HEAD' };

  // §13.1.1: strong comparison; "*" matches any current representation.
  const ifMatch = header('if-match');
  if (ifMatch !== null && !listMatches(ifMatch, rep.etag, 'strong')) return { status: 412, why: 'If-Match names no current entity tag' };
  // §13.1.4: If-Unmodified-Since is ignored when there is no modification date (none here).

  // §13.1.2: weak comparison; "*" matches. GET and HEAD answer 304.
  const ifNoneMatch = header('if-none-match');
  if (ifNoneMatch !== null && listMatches(ifNoneMatch, rep.etag, 'weak')) return { status: 304, why: 'If-None-Match matches the current entity tag' };
  // §13.1.3: If-Modified-Since is ignored when there is no modification date (none here).

  // §14.2: Range is defined for GET only; a server MUST ignore it for other methods (HEAD).
  const range = header('range');
  if (range === null || request.method !== 'GET') return { status: 200, ...whole };

  // §13.1.5: If-Range with a strong entity tag equal to ours applies the Range; a weak tag, a
  // different tag or a date (we have no Last-Modified) means "send the whole representation".
  const ifRange = header('if-range');
  if (ifRange !== null && ifRange.trim() !== rep.etag) return { status: 200, ...whole, why: 'If-Range does not match: the whole representation' };

  return planRange(range, rep.size, whole);
}

function planRange(range: string, size: number, whole: { start: number; end: number; body: boolean }): AnswerPlan {
  const eq = range.indexOf('=');
  // §14.1: range units are case-insensitive; §14.2: an unknown unit is ignored.
  if (eq === -1 || range.slice(0, eq).trim().toLowerCase() !== 'bytes') return { status: 200, ...whole, why: 'not a bytes range: ignored' };
  const ranges = rangeParser(size, `bytes=${clampSuffixes(range.slice(eq + 1), size)}`);
  // §14.2: a server MAY ignore an invalid Range; range-parser says -2 for one.
  if (ranges === -2) return { status: 200, ...whole, why: 'malformed Range: ignored' };
  if (ranges === -1) return { status: 416, why: 'no range overlaps the representation' };
  // §14.2: a server MAY ignore Range; several ranges get the whole representation, not a
  // multipart/byteranges body (a media element never asks for several).
  if (ranges.length > 1) return { status: 200, ...whole, why: 'several ranges: the whole representation' };
  const only = ranges[0]!;
  return { status: 206, start: only.start, end: only.end, body: whole.body };
}

/**
 * §14.1.2: a suffix range longer than the representation selects all of it. range-parser
 * counts it unsatisfiable, so such suffixes are clamped to the size before it parses them.
 */
function clampSuffixes(specs: string, size: number): string {
  return specs
    .split(',')
    .map((spec) => {
      const suffix = /^\s*-\s*(\d+)\s*$/.exec(spec);
      return suffix && Number(suffix[1]) > size ? `-${size}` : spec;
    })
    .join(',');
}

/** §8.8.3.2: `*` or a comma-separated list of entity tags, compared strongly or weakly. */
function listMatches(field: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  if (field.trim() === '*') return true;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  for (const raw of field.match(/(?:W\/)?"[^"]*"/g) ?? []) {
    if (comparison === 'strong' ? raw === etag && !etag.startsWith('W/') : opaque(raw) === opaque(etag)) return true;
  }
  return false;
}
