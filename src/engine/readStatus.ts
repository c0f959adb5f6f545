import { buildStatus } from './buildStatus.js';
import type { EngineParts } from './EngineParts.js';
import { effectiveOffline } from './offlineSelection.js';
import { storageEstimate } from './platform.js';
import { storageStatus } from './storageStatus.js';
import type { CacheStatus } from './types.js';

/** `status()`: every track and playlist of the manifest in force, the queue, storage and platform, read now. */
export async function readStatus({ trust, inventory, scheduler, budget, state }: EngineParts): Promise<CacheStatus> {
  const estimate = await storageEstimate();
  return buildStatus({
    catalog: trust.catalog,
    catalogTrusted: trust.trusted,
    have: inventory.have,
    choices: inventory.choices,
    trackRecords: inventory.trackRecords,
    neededTracks: inventory.neededTracks(trust.catalog),
    effectiveOffline: (id) => effectiveOffline(id, inventory.selection(trust.catalog)),
    failureOf: (t) => inventory.failureOf(t),
    queue: scheduler.queued(),
    isActive: (id) => scheduler.isActive(id),
    state: state.current(),
    securityEpoch: trust.meta.highestEpoch,
    throttle: scheduler.throttleSettings,
    // After the estimate: a quota hit while it was asked has taught its ceiling.
    storage: storageStatus(estimate, await budget.learned(), await budget.persistence()),
  });
}
