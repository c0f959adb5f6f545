import type * as z from 'zod/mini';

/** "tracks.3.chunks has 2 digests but …" — the zod path, dotted, then what is wrong with it. */
export function describeZodError(error: { issues: readonly z.core.$ZodIssue[] }, root?: string): { message: string; path: string } {
  const issue = error.issues[0];
  if (!issue) return { message: 'is invalid', path: root ?? '' };
  const path = [root, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return { message: `${path || 'value'}: ${issue.message}${more}`, path };
}
