import { yieldToEventLoop } from '../../util/yieldToEventLoop.js';

export { yieldToEventLoop };

/**
 * Splits long work into tasks no longer than a budget (docs/how-it-works.md "Responsiveness": no engine
 * task over 50 ms). Call {@link TaskSlicer.check} between small steps: once the current slice
 * has run `budgetMs`, it yields to the event loop with a macrotask, so that a `getTrack()` or a
 * service-worker read queued meanwhile runs before the next slice. Awaits of I/O between checks
 * yield anyway; measure task lengths from outside (a heartbeat), not with this.
 */
export class TaskSlicer {
  private sliceStart: number;
  private yields = 0;

  constructor(
    readonly budgetMs = 8,
    private readonly now: () => number = () => performance.now(),
    private readonly yieldTask: () => Promise<void> = yieldToEventLoop,
  ) {
    this.sliceStart = now();
  }

  /** Yields when the current slice has used its budget. Cheap to call often. */
  async check(): Promise<void> {
    const elapsed = this.now() - this.sliceStart;
    if (elapsed < this.budgetMs) return;
    this.yields++;
    await this.yieldTask();
    this.sliceStart = this.now();
  }

  /** How many times it yielded. */
  get yieldCount(): number {
    return this.yields;
  }
}
