import { describe, expect, it } from 'vitest';
import { RepriseError } from '../../../src/errors/RepriseError.js';
import { probeAuthorization } from '../../../src/downloader/probeAuthorization.js';
import { systemClock } from '../../../src/util/clock.js';
import { ManualClock } from '../../helpers/ManualClock.js';

const target = { trackId: 't0', url: 'https://cdn.example/t0.mp3' };

/** A fetch answering each call with the next status; records the Range and Authorization sent. */
function origin(statuses: (number | Error)[], finalUrl?: string) {
  const sent: { range: string | null; auth: string | null; url: string }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    sent.push({ range: headers.get('range'), auth: headers.get('authorization'), url });
    const next = statuses.shift()!;
    if (next instanceof Error) throw next;
    const response = new Response(next === 206 ? new Uint8Array([1]) : null, { status: next });
    if (finalUrl) Object.defineProperty(response, 'url', { value: finalUrl });
    return response;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const hooks = (fetch: typeof globalThis.fetch, authorize?: (r: { attempt: number }) => unknown) => ({
  fetch,
  clock: systemClock,
  stallMs: 5000,
  authorize: authorize && (async (r: { url: string; kind: 'media'; trackId: string; attempt: number }) => authorize(r) as { headers?: Record<string, string> } | undefined),
});

describe('probeAuthorization (one byte: does the origin accept the app’s authorization now?)', () => {
  const token = (r: { attempt: number }) => ({ headers: { Authorization: `Bearer ${r.attempt}` } });

  it('asks for the first byte with the hook’s authorization: 206 is accepted', async () => {
    const o = origin([206]);
    expect(await probeAuthorization(target, hooks(o.fetch, token), new AbortController().signal)).toBe('accepted');
    expect(o.sent).toEqual([{ range: 'bytes=0-0', auth: 'Bearer 0', url: target.url }]);
  });

  it('401 asks authorize() once more (attempt 1): accepted then, or refused after the second 401/403', async () => {
    const again = origin([401, 206]);
    expect(await probeAuthorization(target, hooks(again.fetch, token), new AbortController().signal)).toBe('accepted');
    expect(again.sent.map((s) => s.auth)).toEqual(['Bearer 0', 'Bearer 1']);
    const twice = origin([403, 401]);
    expect(await probeAuthorization(target, hooks(twice.fetch, token), new AbortController().signal)).toBe('refused');
  });

  it('a hook that fails is refused; what says nothing about authorization is failed (offline, 404, 5xx, a redirect off the allowed origins)', async () => {
    const failing = () => {
      throw new RepriseError('unauthorized', 'authorize() failed');
    };
    expect(await probeAuthorization(target, hooks(origin([206]).fetch, failing), new AbortController().signal)).toBe('refused');
    for (const answer of [new TypeError('Failed to fetch'), 404, 503]) {
      expect(await probeAuthorization(target, hooks(origin([answer]).fetch, token), new AbortController().signal)).toBe('failed');
    }
    expect(await probeAuthorization(target, hooks(origin([206], 'https://evil.example/t0.mp3').fetch, token), new AbortController().signal)).toBe('failed');
  });

  it('no answer within stallMs is failed, not a hang', async () => {
    const clock = new ManualClock();
    const fetch = ((_url: string, init: RequestInit) => new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))) as unknown as typeof globalThis.fetch;
    const verdict = probeAuthorization(target, { ...hooks(fetch, token), clock }, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 0));
    await clock.advance(5000);
    expect(await verdict).toBe('failed');
  });
});
