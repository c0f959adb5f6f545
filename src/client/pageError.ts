import type { ErrorCode } from '../errors/codes.js';

/**
 * Errors raised on the page itself. The page bundle does not carry the engine's message table:
 * an Error whose `name` is the stable code, like every error that crosses from the worker.
 */
export function pageError(code: ErrorCode, message: string, path?: string): Error & { code: ErrorCode; details: { path?: string } } {
  return Object.assign(new Error(message), { name: code, code, details: path ? { path } : {} });
}
