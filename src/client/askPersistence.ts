/**
 * Persistent storage is asked for on the page, the first time a playlist goes offline:
 * `navigator.storage.persist()` is offered to windows, not workers (the engine reports the
 * answer in `status()` through `persisted()`, which workers have). WebKitGTK has neither.
 */
export function persistence() {
  let asked: Promise<unknown> | undefined;
  return () => (asked ??= globalThis.navigator?.storage?.persist?.().catch(() => false));
}
