/**
 * `work`, or `timeout()` as a rejection once `signal` aborts (an `AbortSignal.timeout` shared by
 * the steps of one call, so the whole call has one bound).
 */
export function within<T>(signal: AbortSignal, work: Promise<T>, timeout: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const expire = () => reject(timeout());
    if (signal.aborted) return expire();
    signal.addEventListener('abort', expire, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', expire));
  });
}
