import { IDBObjectStore as FakeStore } from 'fake-indexeddb';

/**
 * Gives fake-indexeddb a storage quota: a put beyond it aborts its transaction with
 * QuotaExceededError, as Chromium does when an origin is out of space. Chunk values count their
 * bytes; records of the other stores (with `allStores`) count the length of their JSON.
 */
export function simulateQuota(limitBytes: number, { allStores = false } = {}) {
  const sizes = new Map<string, number>();
  /** The transaction that last set each entry: an abort undoes only its own entries. */
  const setBy = new Map<string, IDBTransaction>();
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
    if (this.name === 'chunks' || allStores) {
      const k = `${this.name}/${String(key ?? (value as { id?: string }).id)}`;
      const size = this.name === 'chunks' ? ((value as { bytes: ArrayBuffer }).bytes?.byteLength ?? 0) : JSON.stringify(value).length;
      const previous = sizes.get(k);
      if (state.used() - (previous ?? 0) + size > state.limit) {
        // A chunk batch is all or nothing: its transaction aborts. A record is written alone by
        // idb's one-request shortcuts, whose tx.done nobody awaits once put() threw.
        if (this.name === 'chunks') this.transaction.abort();
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      // Counted at once (later puts of the same transaction see it), undone if it aborts.
      sizes.set(k, size);
      const tx = this.transaction;
      setBy.set(k, tx);
      tx.addEventListener('abort', () => {
        if (setBy.get(k) !== tx) return; // a later transaction wrote it since
        setBy.delete(k);
        if (previous === undefined) sizes.delete(k);
        else sizes.set(k, previous);
      });
    }
    return put.call(this, value, key);
  };
  proto.delete = function (this: typeof proto, key: unknown) {
    if (this.name === 'chunks' || allStores) this.transaction.addEventListener('complete', () => sizes.delete(`${this.name}/${String(key)}`));
    return del.call(this, key);
  };
  proto.clear = function (this: typeof proto) {
    const prefix = `${this.name}/`;
    if (this.name === 'chunks' || allStores) this.transaction.addEventListener('complete', () => [...sizes.keys()].forEach((k) => k.startsWith(prefix) && sizes.delete(k)));
    return clear.call(this);
  };
  return state;
}
