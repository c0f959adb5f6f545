import { RepriseError } from '../errors/RepriseError.js';
import { whatOf } from '../errors/whatOf.js';

/**
 * The text the manifest tool prints for an error: the code and what was wrong. The library's
 * generic hint (written for app code calling the API) is left out: the tool's own messages say
 * which flag or file to change.
 */
export function cliErrorText(error: Error & { name: string }): string {
  return `reprise: ${error.name}: ${whatOf(error)}`;
}

/** A file-system failure as an `invalid-argument` naming the path, the flag and what to do. */
export function fileError(cause: unknown, action: string, path: string, flag: string): RepriseError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EEXIST: 'a file of that name is in the way',
    ENOTDIR: 'part of the path is a file, not a folder',
    EISDIR: 'it is a folder; give a file name',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOENT: 'no such file or folder',
    ENOSPC: 'the disk is full',
  };
  return new RepriseError('invalid-argument', `cannot ${action} "${path}": ${(code && why[code]) ?? String(cause)} (${flag})`, { path: flag }, { cause });
}
