import { type ErrorCode, isErrorCode } from './codes.js';
import { HINTS } from './messages.js';

/** Extra facts attached to an error: which track, chunk, field or option it concerns. */
export interface ErrorDetails {
  trackId?: string;
  playlistId?: string;
  chunkIndex?: number;
  /** The zod path of a manifest field or option, dotted: `tracks.3.chunks`. */
  path?: string;
  status?: number;
  url?: string;
  [key: string]: unknown;
}

/**
 * The one error class of reprise. `name` is a stable code from {@link ErrorCode}; `message`
 * says what was wrong, followed by what to do about it (from the hint table in `messages.ts`).
 */
export class RepriseError extends Error {
  declare readonly name: ErrorCode;
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, what: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    const hint = HINTS[code];
    super(hint ? `${what} — ${hint}` : what, options);
    Object.defineProperty(this, 'name', { value: code, enumerable: false, configurable: true, writable: true });
    this.code = code;
    this.details = details;
  }
}

/** True for a RepriseError, or for an error that crossed a boundary (comlink) and kept its code. */
export function isRepriseError(error: unknown, code?: ErrorCode): error is RepriseError {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null)) return false;
  const name = (error as { name?: unknown }).name;
  return isErrorCode(name) && (code === undefined || name === code);
}

/** An AbortSignal's reason as an `aborted` RepriseError. */
export function abortError(signal?: AbortSignal): RepriseError {
  const reason = signal?.reason;
  if (isRepriseError(reason)) return reason;
  return new RepriseError('aborted', 'The operation was aborted', {}, { cause: reason });
}
