import type { Clock } from '../util/clock.js';

/** First retry after 15–30 s, doubling up to 10 min (equal jitter: never sooner than half the step). */
export const MANIFEST_RETRY = { baseMs: 30_000, capMs: 10 * 60_000 } as const;

/**
 * When the manifest could not be fetched, sync() runs again by itself: as soon as the browser
 * says it is back online, and meanwhile with backoff while the engine is open. It stops once a
 * manifest was fetched (accepted or refused: a refusal is the server's answer, not an outage).
 */
export class ManifestRetry {
  private attempt = 0;
  private timer: AbortController | undefined;
  private detachOnline: (() => void) | undefined;
  /** When the manifest was last found unreachable; undefined once it was fetched. */
  unreachableSince: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly sync: () => void,
  ) {}

  /** The manifest was unreachable: try again later. */
  failed(): void {
    this.unreachableSince ??= this.clock.now();
    this.stop();
    const step = Math.min(MANIFEST_RETRY.capMs, MANIFEST_RETRY.baseMs * 2 ** this.attempt++);
    const delay = step / 2 + this.random() * (step / 2);
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(delay, timer.signal).then(() => this.fire(), () => {});
    const g = globalThis as { addEventListener?: EventTarget['addEventListener']; removeEventListener?: EventTarget['removeEventListener'] };
    if (typeof g.addEventListener === 'function') {
      const online = () => this.fire();
      g.addEventListener('online', online);
      this.detachOnline = () => g.removeEventListener?.('online', online);
    }
  }

  /** A manifest was fetched: nothing to retry. */
  reached(): void {
    this.attempt = 0;
    this.unreachableSince = undefined;
    this.stop();
  }

  stop(): void {
    this.timer?.abort();
    this.timer = undefined;
    this.detachOnline?.();
    this.detachOnline = undefined;
  }

  private fire(): void {
    this.stop();
    this.sync();
  }
}
