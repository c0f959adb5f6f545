import { type ErrorCode, isErrorCode } from './codes.js';

/**
 * True for a reprise error — also one that crossed the worker boundary, where `instanceof`
 * does not survive but `name` (the stable code) does. With `code`, true only for that code.
 */
export function isRepriseError(error: unknown, code?: ErrorCode): error is Error & { name: ErrorCode; details?: Record<string, unknown> } {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return isErrorCode(name) && (code === undefined || name === code);
}
