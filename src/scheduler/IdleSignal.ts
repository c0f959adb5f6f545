/** Callers of the queue's `idle()`, released together once it can do nothing more without outside help. */
export class IdleSignal {
  private waiters: (() => void)[] = [];

  constructor(private readonly isIdle: () => boolean) {}

  wait(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases every waiter if the queue is idle now. */
  notify(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
