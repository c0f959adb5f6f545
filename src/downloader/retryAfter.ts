/**
 * RFC 9110 §10.2.3 `Retry-After`: either delay-seconds or an HTTP-date. Returns the wait in
 * milliseconds from `now`, or undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
