import { describe, expect, it } from 'vitest';
import { p256PointProblem } from '../../../src/manifest/p256PointProblem.js';
import { toBase64Url } from '../../../src/util/base64url.js';

async function publicJwk(): Promise<{ x: string; y: string }> {
  const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  return (await crypto.subtle.exportKey('jwk', publicKey)) as { x: string; y: string };
}

describe('p256PointProblem', () => {
  it('takes every generated P-256 public key', async () => {
    for (let i = 0; i < 50; i++) {
      const { x, y } = await publicJwk();
      expect(p256PointProblem(x, y)).toBeUndefined();
    }
  });

  it('refuses a point off the curve, as Chromium and Firefox do (WebKit imports it)', async () => {
    const { x, y } = await publicJwk();
    expect(p256PointProblem(x, x)).toMatch(/not a point of the curve P-256/);
    const flipped = Uint8Array.from(atob(y.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    flipped[31]! ^= 1;
    expect(p256PointProblem(x, toBase64Url(flipped))).toMatch(/not a point/);
  });

  it('refuses coordinates that are not 32 bytes of base64url, or not below the prime', async () => {
    const { x, y } = await publicJwk();
    expect(p256PointProblem(x, y.slice(0, -2))).toMatch(/32 bytes/);
    expect(p256PointProblem(x + 'AA', y)).toMatch(/32 bytes/);
    expect(p256PointProblem(x, `${y.slice(0, -1)}*`)).toMatch(/32 bytes/);
    expect(p256PointProblem(toBase64Url(new Uint8Array(32).fill(0xff)), y)).toMatch(/field prime/);
  });
});
