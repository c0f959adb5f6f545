import { describe, expect, it } from 'vitest';
import { type Candidate, admit } from '../../../src/scheduler/admission.js';

const now = 10_000;
const job = (id: string, patch: Partial<Omit<Candidate, 'ready' | 'need'>> & { ready?: boolean; need?: number } = {}): Candidate => {
  const { ready = true, need = 100, ...rest } = patch;
  return { id, origin: 'https://cdn', urgent: false, notBefore: 0, ready: () => ready, need: () => need, ...rest };
};
const base = { now, slots: 3, windowUntil: 0, originUntil: new Map<string, number>(), space: Infinity };

describe('admit', () => {
  it.each([
    ['free slots start the first jobs in order', { candidates: [job('a'), job('b'), job('c'), job('d')], slots: 2 }, { start: ['a', 'b'], wait: undefined, spaceBlocked: false }],
    ['no slot: nothing starts', { candidates: [job('a')], slots: 0 }, { start: [], wait: undefined }],
    ['the reset window holds back all but urgent jobs', { candidates: [job('a', { urgent: true }), job('b')], windowUntil: now + 5000 }, { start: ['a'], wait: { reason: 'reset-window', until: now + 5000 } }],
    ['Retry-After holds back that origin only, even urgent jobs', { candidates: [job('a', { urgent: true }), job('b', { origin: 'https://other' })], originUntil: new Map([['https://cdn', now + 3000]]) }, { start: ['b'], wait: { reason: 'retry-after', until: now + 3000 } }],
    ['backoff holds back that job; the earliest wait is reported', { candidates: [job('a', { notBefore: now + 900 }), job('b', { notBefore: now + 200 }), job('c')] }, { start: ['c'], wait: { reason: 'backoff', until: now + 200 } }],
    ['a past backoff does not hold back', { candidates: [job('a', { notBefore: now - 1 })] }, { start: ['a'] }],
    ['a job being audited holds back the jobs behind it', { candidates: [job('a'), job('b', { ready: false }), job('c')] }, { start: ['a'] }],
    ['a job that does not fit is skipped; smaller ones behind it start', { candidates: [job('a', { need: 60 }), job('b', { need: 60 }), job('c', { need: 30 })], space: 100 }, { start: ['a', 'c'], spaceBlocked: true }],
  ])('%s', (_what, input, expected) => {
    expect(admit({ ...base, ...input })).toMatchObject(expected);
  });
});
