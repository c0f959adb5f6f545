import type { RepriseError } from './RepriseError.js';
import { HINTS } from './messages.js';

/**
 * What an error says was wrong, without the advice its code appends (`HINTS`): for a message that
 * wraps it (`… (gave up after 6 attempts)`) and then gives the advice once, at its end.
 */
export function whatOf(error: RepriseError): string {
  const suffix = ` — ${HINTS[error.code]}`;
  return error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
}
