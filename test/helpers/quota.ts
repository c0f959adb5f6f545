import { IDBObjectStore as FakeStore } from 'fake-indexeddb';

/**
 * Gives fake-indexeddb a storage quota for the `chunks` store: a put beyond it aborts its
 * transaction with QuotaExceededError, as Chromium does when an origin is out of space.
 */
export function simulateQuota(limitBytes: number) {
  const sizes = new Map<string, number>();
  const proto = FakeStore.prototype as unknown as Record<string, (...args: unknown[]) => unknown> & { name: string; transaction: IDBTransaction };
  const put = proto.put!;
  const del = proto.delete!;
  const clear = proto.clear!;
  const state = {
    limit: limitBytes,
    used: () => [...sizes.values()].reduce((a, b) => a + b, 0),
    restore() {
      proto.put = put;
      proto.delete = del;
      proto.clear = clear;
    },
  };
  proto.put = function (this: typeof proto, value: unknown, key?: unknown) {
    if (this.name === 'chunks') {
      const k = key as string;
      const size = (value as { bytes: ArrayBuffer }).bytes?.byteLength ?? 0;
      const previous = sizes.get(k);
      if (state.used() - (previous ?? 0) + size > state.limit) {
        this.transaction.abort();
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      // Counted at once (later puts of the same transaction see it), undone if it aborts.
      sizes.set(k, size);
      this.transaction.addEventListener('abort', () => (previous === undefined ? sizes.delete(k) : sizes.set(k, previous)));
    }
    return put.call(this, value, key);
  };
  proto.delete = function (this: typeof proto, key: unknown) {
    if (this.name === 'chunks') this.transaction.addEventListener('complete', () => sizes.delete(key as string));
    return del.call(this, key);
  };
  proto.clear = function (this: typeof proto) {
    if (this.name === 'chunks') this.transaction.addEventListener('complete', () => sizes.clear());
    return clear.call(this);
  };
  return state;
}
