import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64UrlInto, fromBase64Url, toBase64Url } from '../../../src/util/base64url.js';
import { utf8ByteLength } from '../../../src/util/utf8ByteLength.js';

describe('base64url without atob', () => {
  it('decodes what Node encodes (base64url, unpadded or padded, and base64)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(Buffer.from(fromBase64Url(buf.toString('base64url'))).equals(buf)).toBe(true);
        expect(Buffer.from(fromBase64Url(buf.toString('base64'))).equals(buf)).toBe(true);
        expect(toBase64Url(fromBase64Url(toBase64Url(bytes)))).toBe(buf.toString('base64url'));
      }),
    );
  });

  it('writes into a buffer at an offset, as a chunk list is built', () => {
    const a = Buffer.alloc(32, 7);
    const b = Buffer.alloc(32, 200);
    const out = new Uint8Array(64);
    expect(decodeBase64UrlInto(a.toString('base64url'), out, 0)).toBe(32);
    expect(decodeBase64UrlInto(b.toString('base64url'), out, 32)).toBe(32);
    expect(Buffer.from(out).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses characters outside the alphabet and impossible lengths', () => {
    expect(() => fromBase64Url('ab$d')).toThrow(TypeError);
    expect(() => fromBase64Url('abcde')).toThrow(TypeError);
    expect(() => fromBase64Url('abé=')).toThrow(TypeError);
  });
});

describe('utf8ByteLength', () => {
  it('is the length TextEncoder gives, without the copy', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).byteLength);
      }));
    expect(utf8ByteLength('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(28);
  });
});
