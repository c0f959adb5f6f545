import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { whatOf } from '../errors/whatOf.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';

/** docs/how-it-works.md: bytes that fail verification three times end the track as integrity-mismatch. */
export const INTEGRITY_ATTEMPTS = 3;

/** What a track's failed attempts so far add up to. */
export interface RetryState {
  /** Failed attempts in a row that got nowhere (an attempt that committed a chunk resets it to 1). */
  failures: number;
  /** Attempts whose bytes failed verification. */
  integrity: number;
  /** Clock time before which the track must not start again. */
  notBefore: number;
}

export interface RetryContext {
  trackId: string;
  /** The state before this failure (undefined on a first failure). */
  state: RetryState | undefined;
  /** Chunks the failed attempt committed. */
  committed: number;
  backoff: BackoffOptions;
  now: number;
  random: () => number;
}

export type RetryDecision =
  /** The track ends with this error; `originUntil`: the origin's Retry-After, held all the same. */
  | { action: 'fail'; error: RepriseError; originUntil?: number }
  /** The store is full: pause the queue `quota-exceeded`, keep the track queued. */
  | { action: 'quota' }
  /** 401/403 after authorize() was asked again: pause the queue `unauthorized`, keep the track queued. */
  | { action: 'unauthorized' }
  /** Queue it again, not before `state.notBefore`; `originUntil`: the origin's Retry-After. */
  | { action: 'retry'; state: RetryState; originUntil: number | undefined };

/** Transient failures are marked by the downloader (`details.transient`): network errors, 408, 416, 429, 5xx, truncation, stalls. */
export function isTransient(error: unknown): boolean {
  return isRepriseError(error) && (error as RepriseError).details?.transient === true;
}

/**
 * docs/how-it-works.md "Throttled resync": what a failed attempt leads to. Only transient failures are
 * retried, after a full-jitter backoff; `Retry-After` pauses the whole origin; bytes that fail
 * verification three times, or `backoff.attempts` failures that got nowhere, end the track.
 */
export function decideRetry(error: unknown, ctx: RetryContext): RetryDecision {
  if (isRepriseError(error, 'quota-exceeded')) return { action: 'quota' };
  // docs/authenticated-media.md: nothing is dropped for a refused authorization; the app signs in again.
  if (isRepriseError(error, 'unauthorized')) return { action: 'unauthorized' };
  // Not a download failure (a storage error, a bug): not retried, and not the track's failure.
  const err = isRepriseError(error)
    ? (error as RepriseError)
    : new RepriseError(typeof DOMException !== 'undefined' && error instanceof DOMException ? 'storage-failed' : 'internal', String(error), { trackId: ctx.trackId }, { cause: error });
  if (!isTransient(err)) return { action: 'fail', error: err };
  const prev = ctx.state ?? { failures: 0, integrity: 0, notBefore: 0 };
  // A long track on a flaky network keeps going as long as each attempt gets somewhere.
  const failures = ctx.committed > 0 ? 1 : prev.failures + 1;
  const integrity = prev.integrity + (err.code === 'integrity-mismatch' ? 1 : 0);
  if (integrity >= INTEGRITY_ATTEMPTS) {
    const what = `track "${ctx.trackId}": the origin served bytes that failed verification ${integrity} times (${whatOf(err)})`;
    return { action: 'fail', error: new RepriseError('integrity-mismatch', what, { ...err.details, transient: false }) };
  }
  const retryAfterMs = err.details.retryAfterMs;
  const originUntil = typeof retryAfterMs === 'number' ? ctx.now + retryAfterMs : undefined;
  if (failures >= ctx.backoff.attempts) {
    const what = `${whatOf(err)} (gave up after ${failures} attempts)`;
    return { action: 'fail', error: new RepriseError(err.code, what, { ...err.details, transient: false, gaveUp: true }, { cause: err }), originUntil };
  }
  const notBefore = ctx.now + backoffDelay(failures, ctx.backoff, ctx.random);
  return { action: 'retry', state: { failures, integrity, notBefore }, originUntil };
}
