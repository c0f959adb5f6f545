import type { CacheStatus } from '../engine/types.js';

/**
 * Persistent storage is asked for on the page, the first time a playlist goes offline
 * (`navigator.storage.persist()` is offered to windows, not to workers; WebKitGTK has no
 * `navigator.storage` at all). `status()` reports the page's answer.
 */
export function persistence() {
  let asked: Promise<boolean | null> | undefined;
  const storage = () => (globalThis.navigator as Navigator | undefined)?.storage;
  return {
    /** Asks once; later calls return the first answer. */
    ask(): Promise<boolean | null> {
      asked ??= (async () => {
        const s = storage();
        if (!s?.persist) return null;
        try {
          return (await s.persisted?.()) || (await s.persist());
        } catch {
          return false;
        }
      })();
      return asked;
    },
    /** The status with `storage.persisted` as this page knows it. */
    async apply(status: CacheStatus): Promise<CacheStatus> {
      const s = storage();
      if (!s?.persisted) return status;
      try {
        return { ...status, storage: { ...status.storage, persisted: await s.persisted() } };
      } catch {
        return status;
      }
    },
  };
}
