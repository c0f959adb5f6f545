import type { PauseReason } from '../scheduler/Scheduler.js';
import { settledWithin } from '../util/settledWithin.js';

interface PlatformGlobals {
  navigator?: { onLine?: boolean; connection?: { saveData?: boolean } & EventTarget; storage?: StorageManager };
  addEventListener?: EventTarget['addEventListener'];
  removeEventListener?: EventTarget['removeEventListener'];
}

const platform = () => globalThis as unknown as PlatformGlobals;

/**
 * Follows `navigator.onLine` (online/offline events, which workers get too) and
 * `navigator.connection.saveData` where they exist, as pause reasons. Returns the unsubscribe.
 */
export function watchConnectivity(pause: (reason: PauseReason) => void, resume: (reason: PauseReason) => void): () => void {
  const g = platform();
  const detach: (() => void)[] = [];
  if (typeof g.navigator?.onLine === 'boolean') {
    if (!g.navigator.onLine) pause('offline');
    if (typeof g.addEventListener === 'function') {
      const online = () => resume('offline');
      const offline = () => pause('offline');
      g.addEventListener('online', online);
      g.addEventListener('offline', offline);
      detach.push(() => {
        g.removeEventListener?.('online', online);
        g.removeEventListener?.('offline', offline);
      });
    }
  }
  const connection = g.navigator?.connection;
  if (connection && typeof connection.saveData === 'boolean') {
    const apply = () => (connection.saveData ? pause('save-data') : resume('save-data'));
    apply();
    if (typeof connection.addEventListener === 'function') {
      connection.addEventListener('change', apply);
      detach.push(() => connection.removeEventListener('change', apply));
    }
  }
  return () => detach.forEach((d) => d());
}

/**
 * How long the platform's storage answers (`estimate()`, `persisted()`) are waited for: past it
 * they count as unknown, so `status()`, a sync and the quota's bookkeeping never hang on them.
 */
export const STORAGE_ANSWER_MS = 2000;

/** `navigator.storage.estimate()`, or undefined where it does not exist, fails, or does not answer within {@link STORAGE_ANSWER_MS}. */
export async function storageEstimate(): Promise<StorageEstimate | undefined> {
  const storage = platform().navigator?.storage;
  if (!storage?.estimate) return undefined;
  try {
    return await settledWithin(storage.estimate(), STORAGE_ANSWER_MS);
  } catch {
    return undefined;
  }
}

/** Whether storage is persistent, asking for it once if not; null where the API does not exist. */
export async function requestPersistence(): Promise<boolean | null> {
  const storage = platform().navigator?.storage;
  if (!storage?.persist) return null;
  try {
    return (await storage.persisted?.()) || (await storage.persist());
  } catch {
    return false;
  }
}

/** Whether storage is persistent (`persisted()` exists in workers too; `persist()` only on pages); null where unknown. */
export async function storagePersisted(): Promise<boolean | null> {
  try {
    const asked = platform().navigator?.storage?.persisted?.();
    return (asked && (await settledWithin(asked, STORAGE_ANSWER_MS))) ?? null;
  } catch {
    return null;
  }
}

/** Which platform features the engine has here (reported by status()). */
export function platformFeatures(): { storageEstimate: boolean; webLocks: boolean } {
  const nav = platform().navigator as (PlatformGlobals['navigator'] & { locks?: unknown }) | undefined;
  return { storageEstimate: typeof nav?.storage?.estimate === 'function', webLocks: typeof nav?.locks === 'object' && nav.locks !== null };
}

/**
 * Whether the engine seeks correctly inside a Blob composed of many stored parts. Firefox (Gecko)
 * does not: a seek in an object URL of such a Blob lands elsewhere, while the same bytes as one
 * part seek exactly (test/browser/noServiceWorker.test.ts). There `getTrack()` gives one
 * in-memory Blob, as before: correct seeks, memory that grows with the track.
 */
export function composedBlobsSeek(): boolean {
  return typeof navigator === 'undefined' || !/\bFirefox\//.test(navigator.userAgent ?? '');
}
