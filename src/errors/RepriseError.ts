import type { ErrorCode } from './codes.js';
import { isRepriseError } from './isRepriseError.js';
import { HINTS } from './messages.js';

export { isRepriseError };

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

  /**
   * `options.hint` replaces the code's usual advice when the cause is known better where the
   * error is made (a held-back track, a manifest that reprise will fetch again); `null` for none.
   */
  constructor(code: ErrorCode, what: string, details: ErrorDetails = {}, options?: { cause?: unknown; hint?: string | null }) {
    const hint = options?.hint === undefined ? HINTS[code] : options.hint;
    super(hint ? `${what} — ${hint}` : what, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, 'name', { value: code, enumerable: false, configurable: true, writable: true });
    this.code = code;
    this.details = details;
  }
}

/** An AbortSignal's reason as an `aborted` RepriseError. */
export function abortError(signal?: AbortSignal): RepriseError {
  const reason = signal?.reason;
  if (reason instanceof RepriseError) return reason;
  return new RepriseError('aborted', 'The operation was aborted', {}, { cause: reason });
}
