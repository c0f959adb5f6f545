import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTHORIZE_TIMEOUT_MS, boundAuthorize } from '../../../src/engine/boundAuthorize.js';

const request = { url: 'https://cdn.example/t1.mp3?sig=SECRET', kind: 'media' as const, trackId: 't1', attempt: 0 };

describe('boundAuthorize: the app hook as reprise calls it', () => {
  afterEach(() => vi.useRealTimers());

  it('passes the answer through (headers, url, nothing)', async () => {
    expect(await boundAuthorize(() => ({ headers: { Authorization: 'Bearer x' } }))!(request)).toEqual({ headers: { Authorization: 'Bearer x' } });
    expect(await boundAuthorize(async () => ({ url: 'https://cdn.example/t1.mp3?sig=new' }))!(request)).toEqual({ url: 'https://cdn.example/t1.mp3?sig=new' });
    expect(await boundAuthorize(() => undefined)!(request)).toBeUndefined();
    expect(boundAuthorize(undefined)).toBeUndefined();
  });

  it.each([
    ['throws', () => {
      throw new Error('signed out');
    }, /signed out/],
    ['rejects', async () => Promise.reject(new Error('session expired')), /session expired/],
    ['returns a non-object', () => 'token' as never, /must return \{ url\?, headers\? \}/],
  ])('a hook that %s is a failed authorization with its message, never the URL\'s token', async (_what, hook, message) => {
    const error = (await boundAuthorize(hook)!(request).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('unauthorized');
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/SECRET/);
  });

  it(`a hook that takes longer than ${AUTHORIZE_TIMEOUT_MS} ms fails as unauthorized`, async () => {
    vi.useFakeTimers();
    const pending = boundAuthorize(() => new Promise<undefined>(() => {}))!(request).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(AUTHORIZE_TIMEOUT_MS + 1);
    expect(((await pending) as Error).message).toMatch(/did not answer within 10000 ms/);
  });
});
