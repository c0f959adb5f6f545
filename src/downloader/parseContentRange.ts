export interface ContentRange {
  start: number;
  /** Inclusive. */
  end: number;
  /** Undefined for `*`. */
  size: number | undefined;
}

/** RFC 9110 §14.4: `Content-Range: bytes <start>-<end>/<size|*>`. Undefined when malformed. */
export function parseContentRange(header: string | null): ContentRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const size = m[3] === '*' ? undefined : Number(m[3]);
  if (end < start || (size !== undefined && end >= size)) return undefined;
  return { start, end, size };
}
