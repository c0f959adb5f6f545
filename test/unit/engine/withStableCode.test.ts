import { describe, expect, it } from 'vitest';
import { withStableCode } from '../../../src/engine/withStableCode.js';
import { RepriseError } from '../../../src/errors/RepriseError.js';

const dom = (name: string, message = '') => new DOMException(message, name);

describe('withStableCode: every error leaving the engine has a documented code', () => {
  it.each([
    ['a RepriseError, as it is', new RepriseError('not-found', 'gone'), 'not-found'],
    ['a RepriseError that crossed a boundary (plain Error, code as name)', Object.assign(new Error('x'), { name: 'unauthorized' }), 'unauthorized'],
    ['QuotaExceededError', dom('QuotaExceededError'), 'quota-exceeded'],
    ['InvalidStateError after the database closed', dom('InvalidStateError', 'The database connection is closing.'), 'storage-failed'],
    ['UnknownError from the disk', dom('UnknownError'), 'storage-failed'],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'x')"), 'internal'],
    ['a thrown string', 'weird', 'internal'],
  ])('%s → %s', (_what, error, code) => {
    const mapped = withStableCode(error);
    expect(mapped.name).toBe(code);
    expect(mapped.message.length).toBeGreaterThan(0);
  });

  it('says what failed for storage errors', () => {
    expect(withStableCode(dom('InvalidStateError', 'closing')).message).toMatch(/IndexedDB could not .*InvalidStateError: closing/);
  });
});
