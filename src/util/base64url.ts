/** Unpadded base64url (RFC 4648 §5), as the manifest's chunk digests and content ids use it. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Sextet of each character code (base64url and base64's `+` `/`); -1 for any other. */
const SEXTET = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (SEXTET[c.charCodeAt(0)] = i));
SEXTET['+'.charCodeAt(0)] = 62;
SEXTET['/'.charCodeAt(0)] = 63;

/** Bytes that `text` (base64url, padded or not) decodes to. */
export function base64UrlByteLength(text: string): number {
  let n = text.length;
  while (n > 0 && text.charCodeAt(n - 1) === 61 /* = */) n--;
  return Math.floor((n * 3) / 4);
}

/**
 * Decodes base64url (or base64; padding optional) into `out` at `offset`, without an
 * intermediate string (a format-1 manifest holds hundreds of thousands of digests). Throws a
 * TypeError on a character outside the alphabet or a length no encoding has.
 */
export function decodeBase64UrlInto(text: string, out: Uint8Array, offset = 0): number {
  let n = text.length;
  while (n > 0 && text.charCodeAt(n - 1) === 61) n--;
  if (n % 4 === 1) throw new TypeError(`"${text.slice(0, 16)}…" is not base64url: ${n} characters`);
  let o = offset;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? SEXTET[code]! : -1;
    if (v < 0) throw new TypeError(`"${text.slice(0, 16)}…" is not base64url: "${text[i]}" at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return o - offset;
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(base64UrlByteLength(text));
  decodeBase64UrlInto(text, out);
  return out;
}
