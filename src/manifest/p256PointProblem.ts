import { base64UrlByteLength, decodeBase64UrlInto } from '../util/base64url.js';

// NIST P-256 (SEC 2 §2.4.2): y² = x³ − 3x + b over the prime field p.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** The 32-byte big-endian coordinate `text` (base64url) encodes, or undefined for any other length or text. */
function coordinate(text: string): bigint | undefined {
  if (base64UrlByteLength(text) !== 32) return undefined;
  const bytes = new Uint8Array(32);
  try {
    if (decodeBase64UrlInto(text, bytes) !== 32) return undefined;
  } catch {
    return undefined;
  }
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return n;
}

/**
 * Why the JWK coordinates `x`, `y` are not a point of P-256 (RFC 7518 §6.2.1: each exactly 32
 * bytes), or undefined when they are. Checked by reprise itself: WebKit's `importKey` takes a
 * point off the curve, or a coordinate of the wrong length, where Chromium and Firefox refuse it.
 */
export function p256PointProblem(x: string, y: string): string | undefined {
  const [px, py] = [coordinate(x), coordinate(y)];
  if (px === undefined || py === undefined) return `"x" and "y" must each be 32 bytes in base64url (RFC 7518 §6.2.1)`;
  if (px >= P || py >= P) return 'a coordinate is not below the field prime of P-256';
  const rhs = (((px * px) % P) * px - 3n * px + B) % P;
  if ((py * py) % P !== (rhs + P) % P) return '(x, y) is not a point of the curve P-256';
  return undefined;
}
