import { describe, expect, it } from 'vitest';
import { RepriseError } from '../../../src/errors/RepriseError.js';
import { DEFAULT_BACKOFF } from '../../../src/scheduler/backoff.js';
import { type RetryState, decideRetry } from '../../../src/scheduler/retryPolicy.js';

const now = 1_000_000;
const transient = (code: 'network' | 'integrity-mismatch', extra: Record<string, unknown> = {}) => new RepriseError(code, 'x', { transient: true, ...extra });
const ctx = (state?: RetryState, committed = 0) => ({ trackId: 't', state, committed, backoff: DEFAULT_BACKOFF, now, random: () => 0.5 });

describe('decideRetry', () => {
  it.each([
    ['a transient network error: backoff 0.5 × base', transient('network'), undefined, 0, { action: 'retry', state: { failures: 1, integrity: 0, notBefore: now + 500 }, originUntil: undefined }],
    ['the second in a row: 0.5 × 2 × base', transient('network'), { failures: 1, integrity: 0, notBefore: 0 }, 0, { action: 'retry', state: { failures: 2, integrity: 0, notBefore: now + 1000 } }],
    ['an attempt that committed a chunk starts the count again', transient('network'), { failures: 4, integrity: 0, notBefore: 0 }, 3, { action: 'retry', state: { failures: 1 } }],
    ['Retry-After pauses the origin', transient('network', { retryAfterMs: 120_000 }), undefined, 0, { action: 'retry', originUntil: now + 120_000 }],
    ['the sixth failure gives up', transient('network'), { failures: 5, integrity: 0, notBefore: 0 }, 0, { action: 'fail', error: { code: 'network', message: expect.stringMatching(/gave up after 6 attempts/) } }],
    ['integrity, once', transient('integrity-mismatch'), undefined, 0, { action: 'retry', state: { integrity: 1 } }],
    ['integrity, the third time', transient('integrity-mismatch'), { failures: 0, integrity: 2, notBefore: 0 }, 5, { action: 'fail', error: { code: 'integrity-mismatch' } }],
    ['not-found is not retried', new RepriseError('not-found', '404'), undefined, 0, { action: 'fail', error: { code: 'not-found' } }],
    ['unauthorized pauses the queue (nothing dropped; docs/authenticated-media.md)', new RepriseError('unauthorized', '401'), undefined, 0, { action: 'unauthorized' }],
    ['origin-not-allowed (a redirect) is not retried', new RepriseError('origin-not-allowed', 'redirect'), undefined, 0, { action: 'fail', error: { code: 'origin-not-allowed' } }],
    ['a full store pauses the queue', new RepriseError('quota-exceeded', 'full'), undefined, 0, { action: 'quota' }],
    ['a programming error is not retried, and is no network failure of the track', new TypeError('oops'), undefined, 0, { action: 'fail', error: { code: 'internal' } }],
    ['a storage error is not retried, and is no network failure of the track', new DOMException('closing', 'InvalidStateError'), undefined, 0, { action: 'fail', error: { code: 'storage-failed' } }],
  ])('%s', (_what, error, state, committed, expected) => {
    expect(decideRetry(error, ctx(state, committed))).toMatchObject(expected);
  });
});
