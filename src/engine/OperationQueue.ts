/**
 * Runs the engine's state-changing operations (`sync`, `verify`, `setOffline`, `remove`,
 * `clear`, a takeover's resync) one at a time, in call order. Reads never enter it: `status`,
 * `getTrack`, `prioritize` and the service worker's reads answer while an operation runs.
 */
export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  /** Queues `op` behind every operation queued before it; settles with its result. */
  run<T>(op: () => Promise<T>): Promise<T> {
    this.depth++;
    const result = this.tail.then(op).finally(() => this.depth--);
    this.tail = result.catch(() => {});
    return result;
  }

  /** Operations queued or running. */
  get size(): number {
    return this.depth;
  }

  /** Resolves once everything queued so far has settled. */
  async drained(): Promise<void> {
    await this.tail;
  }
}
