import { isErrorCode } from '../errors/codes.js';
import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { toStoreError } from '../store/Store.js';

/**
 * Every error that leaves the engine carries a stable code: a RepriseError as it is, a storage
 * failure as `storage-failed` (or `quota-exceeded`), anything else (a bug) as `internal`.
 */
export function withStableCode(error: unknown): RepriseError {
  if (isRepriseError(error)) return error as RepriseError;
  const name = (error as { name?: unknown } | null)?.name;
  if (isErrorCode(name)) {
    // A RepriseError that crossed a boundary (its class is lost, its name is the code).
    return new RepriseError(name, String((error as Error).message ?? error), (error as { details?: Record<string, unknown> }).details ?? {}, { cause: error });
  }
  const stored = toStoreError(error);
  if (isRepriseError(stored)) return stored as RepriseError;
  return new RepriseError('internal', `reprise failed unexpectedly (${describe(error)})`, {}, { cause: error });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
