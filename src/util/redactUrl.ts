/** A URL as messages, events and logs show it: no query string or fragment (signed URLs carry tokens there), no credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search || u.hash ? '?…' : ''}`;
  } catch {
    return url.split(/[?#]/)[0]!;
  }
}
