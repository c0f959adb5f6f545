import type { ErrorCode } from './codes.js';
import { HINTS } from './messages.js';

/**
 * What an error says was wrong, without the advice its code appends (`HINTS`): for a message that
 * wraps it (`… (gave up after 6 attempts)`) and gives the advice once, at its end, and for the
 * manifest tool, whose own messages say which flag or file to change.
 */
export function whatOf(error: { name: string; message: string }): string {
  const hint = HINTS[error.name as ErrorCode];
  const suffix = ` — ${hint}`;
  return hint && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
}
