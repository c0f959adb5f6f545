import { afterEach, describe, expect, it, vi } from 'vitest';
import { scriptError } from '../../../src/client/scriptError.js';

const URL_ = 'https://app.example/reprise/cache-worker.js';

afterEach(() => vi.unstubAllGlobals());

describe('scriptError', () => {
  it.each([
    { name: 'a 404', answer: () => new Response('nope', { status: 404 }), code: 'not-found', message: /answers 404/ },
    { name: 'a server error', answer: () => new Response('oops', { status: 502 }), code: 'network', message: /answers 502/ },
    { name: 'no answer', answer: () => Promise.reject(new TypeError('Failed to fetch')), code: 'network', message: /cannot be fetched/ },
    { name: 'HTML (a dev server fallback)', answer: () => new Response('<p>', { headers: { 'content-type': 'text/html' } }), code: 'invalid-argument', message: /text\/html, not JavaScript/ },
    { name: 'JavaScript that did not start', answer: () => new Response('x', { headers: { 'content-type': 'text/javascript; charset=utf-8' } }), code: 'invalid-argument', message: /did not start \(SyntaxError: boom\)/ },
  ])('says why a script did not start: $name', async ({ answer, code, message }) => {
    vi.stubGlobal('fetch', vi.fn(async () => answer()));
    const error = (await scriptError('options.workerUrl', URL_, 'SyntaxError: boom')) as Error & { details: unknown };
    expect(error.name).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(URL_);
    expect(error.message.startsWith('options.workerUrl: ')).toBe(true);
    expect(error.details).toEqual({ path: 'options.workerUrl', url: URL_ });
  });
});
