import { RepriseError, isRepriseError } from '../errors/RepriseError.js';

/** Marks errors worth retrying (DESIGN.md "Throttled resync": network, 408, 429, 5xx, truncation, stalls). */
export function transient(code: 'network' | 'integrity-mismatch', what: string, details: Record<string, unknown> = {}, cause?: unknown): RepriseError {
  return new RepriseError(code, what, { ...details, transient: true }, cause === undefined ? undefined : { cause });
}

export function isTransient(error: unknown): boolean {
  return isRepriseError(error) && (error as RepriseError).details?.transient === true;
}
