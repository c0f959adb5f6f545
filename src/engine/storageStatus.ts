import type { StorageBudget } from './StorageBudget.js';
import type { CacheStatus } from './types.js';

/**
 * `status().storage` minus `bytesStored`: usage and quota as far as they are known. The quota is
 * the estimate's, unless a write failed for quota below it (Chromium's estimate reports usage +
 * 10 GiB whatever it enforces): then the usage at that failure. `quotaSource` says which.
 */
export function storageStatus(estimate: StorageEstimate | undefined, budget: Pick<StorageBudget, 'ceiling'>, persisted: boolean | null): Omit<CacheStatus['storage'], 'bytesStored'> {
  const estimated = estimate?.quota ?? null;
  const learned = budget.ceiling;
  const useLearned = learned !== null && (estimated === null || learned < estimated);
  return {
    usage: estimate?.usage ?? null,
    quota: useLearned ? learned : estimated,
    quotaSource: useLearned ? 'quota-error' : estimated !== null ? 'estimate' : null,
    persisted,
  };
}
