import type { ErrorCode } from '../errors/codes.js';

/** What a page error concerns: the option at fault, the URL, the options that are missing. */
export interface PageErrorDetails {
  path?: string;
  url?: string;
  missing?: string[];
}

/**
 * Errors raised on the page itself. The page bundle does not carry the engine's message table:
 * an Error whose `name` is the stable code, like every error that crosses from the worker.
 */
export function pageError(code: ErrorCode, message: string, details: PageErrorDetails = {}): Error & { code: ErrorCode; details: PageErrorDetails } {
  return Object.assign(new Error(message), { name: code, code, details });
}
