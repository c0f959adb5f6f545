// A browser's storage answers (estimate(), persisted()) may never come: each is waited for at most
// STORAGE_ANSWER_MS, once — a call while one is pending joins it, and one that finds it hung
// answers unknown at once instead of waiting another 2 s (status() and every track's start ask).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STORAGE_ANSWER_MS, STORAGE_HUNG_MS, storageEstimate, storagePersisted } from '../../../src/engine/platform.js';

/** Settles `p` while advancing the fake clock by at most `ms`: its value, or 'pending'. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let out: T | 'pending' = 'pending';
  void p.then((v) => (out = v));
  await vi.advanceTimersByTimeAsync(ms);
  return out;
}

describe('storage answers from the platform', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('an estimate() that never answers: the first call waits the bound, later ones answer unknown at once and ask nothing until it has hung 30 s', async () => {
    const estimate = vi.fn(() => new Promise<StorageEstimate>(() => {}));
    vi.stubGlobal('navigator', { storage: { estimate } });
    const first = storageEstimate();
    expect(await within(first, STORAGE_ANSWER_MS - 1)).toBe('pending');
    expect(await within(first, 1)).toBeUndefined();
    const second = storageEstimate();
    expect(await within(second, 0)).toBeUndefined(); // at once, not another 2 s
    expect(estimate).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(STORAGE_HUNG_MS);
    const third = storageEstimate(); // asked again: the browser may answer now
    expect(estimate).toHaveBeenCalledTimes(2);
    expect(await within(third, STORAGE_ANSWER_MS)).toBeUndefined();
  });

  it('a slow answer is shared: a second call joins the pending one and both get its value', async () => {
    let answer!: (e: StorageEstimate) => void;
    const estimate = vi.fn(() => new Promise<StorageEstimate>((r) => (answer = r)));
    vi.stubGlobal('navigator', { storage: { estimate } });
    const first = storageEstimate();
    await vi.advanceTimersByTimeAsync(1000);
    const second = storageEstimate();
    answer({ usage: 1, quota: 2 });
    expect(await within(Promise.all([first, second]), 0)).toEqual([{ usage: 1, quota: 2 }, { usage: 1, quota: 2 }]);
    expect(estimate).toHaveBeenCalledTimes(1);
    // Answered: the next call asks again (a fresh figure).
    void storageEstimate();
    expect(estimate).toHaveBeenCalledTimes(2);
  });

  it('a fresh question (the usage at a refused write) is asked again, not joined to one asked before', async () => {
    const answers: ((e: StorageEstimate) => void)[] = [];
    const estimate = vi.fn(() => new Promise<StorageEstimate>((r) => answers.push(r)));
    vi.stubGlobal('navigator', { storage: { estimate } });
    const before = storageEstimate();
    const fresh = storageEstimate(true);
    expect(estimate).toHaveBeenCalledTimes(2);
    answers[0]!({ usage: 1, quota: 10 });
    answers[1]!({ usage: 5, quota: 10 });
    expect(await within(Promise.all([before, fresh]), 0)).toEqual([{ usage: 1, quota: 10 }, { usage: 5, quota: 10 }]);
  });

  it('persisted() that never answers: null after the bound, then null at once', async () => {
    const persisted = vi.fn(() => new Promise<boolean>(() => {}));
    vi.stubGlobal('navigator', { storage: { persisted } });
    expect(await within(storagePersisted(), STORAGE_ANSWER_MS)).toBeNull();
    expect(await within(storagePersisted(), 0)).toBeNull();
    expect(persisted).toHaveBeenCalledTimes(1);
  });
});
