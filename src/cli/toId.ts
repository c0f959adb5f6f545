/**
 * The manifest tool's id rule, documented in docs/how-it-works.md and stable across versions:
 * lower case, accents dropped, every run of characters outside `a-z 0-9 . _ : -` becomes one
 * `-`, no `-` at either end, at most 128 characters (`"Road trip"` → `road-trip`,
 * `road/Été.mp3` → `road-ete` once the extension is dropped). Empty, `.` or `..` → `x` (a URL
 * path drops those two: see ID_PATTERN).
 */
export function toId(text: string): string {
  const id = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._:-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 128)
    .replace(/-+$/, '');
  return id === '' || id === '.' || id === '..' ? 'x' : id;
}
