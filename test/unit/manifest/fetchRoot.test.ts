import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/manifest/limits.js';
import { allowedOriginSet } from '../../../src/manifest/trackOrigins.js';
import { fetchRoot } from '../../../src/manifest/v2/fetchRoot.js';
import { FakeOrigin, MANIFEST_URL, library, mediaIndex, publishTo } from './v2Fixture.js';

const allowed = allowedOriginSet(MANIFEST_URL, []);

/** A body of `total` bytes made lazily: `pulled()` says how much the reader asked for. */
function lazyBody(head: string, total: number) {
  let sent = 0;
  const first = new TextEncoder().encode(head);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const piece = sent === 0 ? first : new Uint8Array(64 * 1024).fill(0x41);
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => sent };
}

const header = (typ: string) => Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1', typ })).toString('base64url');

describe('fetchRoot', () => {
  it('refuses a format-2 root over maxRootBytes while it streams, naming the limit and its option', async () => {
    const body = lazyBody(`${header('reprise-manifest-2+jws')}.`, 64 * 1024 * 1024);
    const fetch = (async () => new Response(body.stream)) as typeof globalThis.fetch;
    const error = await fetchRoot(MANIFEST_URL, { fetch, allowed }).catch((e) => e);
    expect(error).toMatchObject({ name: 'manifest-invalid', details: { limit: 'maxRootBytes' } });
    expect(error.message).toMatch(/over maxRootBytes \(1048576 bytes; refused after \d+ bytes\); raise the option limits\.maxRootBytes/);
    expect(body.pulled()).toBeLessThan(DEFAULT_LIMITS.maxRootBytes + 3 * 64 * 1024);
  });

  it('bounds a v1 manifest by maxManifestBytes, counting decompressed bytes, not a gzip Content-Length', async () => {
    const limits = { ...DEFAULT_LIMITS, maxManifestBytes: 2 * 1024 * 1024 };
    const body = lazyBody(`${header('reprise-manifest+jws')}.`, 64 * 1024 * 1024);
    // A gzip Content-Length far under the limit says nothing of the decompressed size.
    const fetch = (async () => new Response(body.stream, { headers: { 'content-encoding': 'gzip', 'content-length': '1000' } })) as typeof globalThis.fetch;
    const error = await fetchRoot(MANIFEST_URL, { fetch, allowed, limits }).catch((e) => e);
    expect(error).toMatchObject({ name: 'manifest-invalid', details: { limit: 'maxManifestBytes' } });
    expect(body.pulled()).toBeLessThan(limits.maxManifestBytes + 3 * 64 * 1024);
    // And a gzip Content-Length over the limit does not refuse a body that fits once decompressed.
    const small = new TextEncoder().encode(`${header('reprise-manifest+jws')}.e30.sig`);
    const fits = (async () => new Response(small, { headers: { 'content-encoding': 'gzip', 'content-length': String(10 * 1024 * 1024) } })) as typeof globalThis.fetch;
    await expect(fetchRoot(MANIFEST_URL, { fetch: fits, allowed, limits })).resolves.toMatchObject({ status: 'fetched' });
    // Without a Content-Encoding, a Content-Length over the limit refuses before reading.
    const declared = lazyBody('x', 64 * 1024 * 1024);
    const plain = (async () => new Response(declared.stream, { headers: { 'content-length': String(64 * 1024 * 1024) } })) as typeof globalThis.fetch;
    await expect(fetchRoot(MANIFEST_URL, { fetch: plain, allowed, limits })).rejects.toMatchObject({ name: 'manifest-invalid' });
    expect(declared.pulled()).toBe(0);
  });

  it('returns the body and its ETag; the next request sends it and a 304 is "unchanged"', async () => {
    const origin = new FakeOrigin();
    const { jws } = await publishTo(origin, { ...library(mediaIndex(5)), securityEpoch: 1, version: 1, etag: '"v1"' });
    expect(await fetchRoot(MANIFEST_URL, { fetch: origin.fetch, allowed })).toEqual({ status: 'fetched', jws, etag: '"v1"' });
    expect(origin.requests[0]!.headers['If-None-Match']).toBeUndefined();
    expect(await fetchRoot(MANIFEST_URL, { fetch: origin.fetch, allowed, etag: '"v1"' })).toEqual({ status: 'unchanged' });
    expect(await fetchRoot(MANIFEST_URL, { fetch: origin.fetch, allowed, etag: '"v0"' })).toMatchObject({ status: 'fetched' });
  });

  it('maps statuses: 401 unauthorized, 404 not-found, 503 network; a redirect off the allowed origins is refused', async () => {
    for (const [status, name] of [[401, 'unauthorized'], [404, 'not-found'], [503, 'network']] as const) {
      const fetch = (async () => new Response('', { status })) as typeof globalThis.fetch;
      await expect(fetchRoot(MANIFEST_URL, { fetch, allowed })).rejects.toMatchObject({ name, details: { status } });
    }
    const origin = new FakeOrigin();
    origin.put(MANIFEST_URL, { body: 'x.y.z', redirectedTo: 'https://evil.example/m.jws' });
    await expect(fetchRoot(MANIFEST_URL, { fetch: origin.fetch, allowed })).rejects.toMatchObject({ name: 'origin-not-allowed' });
  });

  it('refuses a URL from authorize off the allowed origins, without putting it in the message', async () => {
    const origin = new FakeOrigin();
    const authorize = () => ({ url: 'https://elsewhere.example/m.jws?token=secret' });
    const error = await fetchRoot(MANIFEST_URL, { fetch: origin.fetch, allowed, authorize }).catch((e) => e);
    expect(error).toMatchObject({ name: 'origin-not-allowed' });
    expect(error.message).not.toMatch(/secret/);
    expect(origin.requests).toHaveLength(0);
  });
});
