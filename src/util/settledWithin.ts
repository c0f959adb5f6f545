/** `p`'s value, or undefined if it has not settled within `ms` (the timer is cleared either way). */
export function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof globalThis.setTimeout> | undefined;
  return Promise.race([p, new Promise<undefined>((resolve) => (timer = globalThis.setTimeout(() => resolve(undefined), ms)))]).finally(() => globalThis.clearTimeout(timer));
}
