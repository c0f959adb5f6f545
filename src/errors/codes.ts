/**
 * The stable error codes of docs/how-it-works.md ("Public API"). A code is the `name` of every
 * error reprise rejects with (see {@link isRepriseError}): `name` survives structured cloning
 * and comlink, `instanceof` does not.
 */
export const ERROR_CODES = [
  'invalid-argument',
  'manifest-invalid',
  'manifest-signature',
  'manifest-rollback',
  'manifest-expired',
  'origin-not-allowed',
  'network',
  'unauthorized',
  'not-found',
  'integrity-mismatch',
  'quota-exceeded',
  'not-cached',
  'aborted',
  'storage-failed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
