import type { Clock } from '../util/clock.js';

/**
 * How long a play or a seek holds the background downloads (docs/playback-url.md "Playback
 * first"): from the service worker's report of the request to the media element's first audio
 * takes 10–60 ms on a busy device; the hold covers that with room to spare, and a stream of
 * seeks renews it.
 */
export const PLAYBACK_FIRST_MS = 500;

/**
 * Playback first: while a listener starts a track (a play or a seek the service worker was
 * asked for), the downloads that are not for a track being played send no new request and hold
 * their writes, so the device's cores and its IndexedDB serve the play. A hold ends by itself
 * after `ms`; a download that becomes urgent meanwhile goes on at once ({@link wake}). Nothing
 * is cancelled: a request open at the origin is read to its end (it holds a request slot the
 * play may need), its chunks verified and kept in memory (bounded by the download's write
 * pipeline) until the hold ends, so no byte is fetched twice.
 */
export class PlaybackFirst {
  private until = 0;
  private readonly waiters = new Set<() => void>();
  private timer: AbortController | undefined;

  constructor(private readonly clock: Clock) {}

  /** A play or a seek: background work holds for `ms` from now (a later hold extends it). */
  hold(ms = PLAYBACK_FIRST_MS): void {
    const until = this.clock.now() + ms;
    if (until <= this.until) return;
    this.until = until;
    if (!this.timer) this.arm(); // a running timer, when it fires, sleeps on to the new end
  }

  /** True while a hold is in force. */
  get holding(): boolean {
    return this.clock.now() < this.until;
  }

  /**
   * The pause points of one download: held, unless its track is being played (`urgent()`) and a
   * reader waits for one of the chunks asked (`awaited`; no digests: its writes).
   */
  forDownload(urgent: () => boolean, awaited: (digest: string) => boolean): DownloadPausePoints {
    const exempt = (digests: readonly string[] | undefined) => urgent() && (!digests || digests.some(awaited));
    return {
      yield: (signal, digests) => this.yield(() => exempt(digests), signal),
      holds: (digests) => this.holds(() => exempt(digests)),
    };
  }

  /** True while a hold is in force and applies to work that is not `exempt()`. */
  holds(exempt: () => boolean): boolean {
    return this.holding && !exempt();
  }

  /**
   * For a background download at a point where it may pause: undefined when nothing holds (no
   * await needed), else a promise that settles when the hold ends, when `exempt()` became true
   * (its track is being played: see {@link wake}), or when `signal` aborts (the caller's next
   * step then fails with the abort, as it would have without the hold). Without a signal (a
   * write of chunks already verified, also those of a stopped download) only the first two.
   */
  yield(exempt: () => boolean, signal?: AbortSignal): Promise<void> | undefined {
    if (!this.holding || exempt() || signal?.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.holding && !exempt() && !signal?.aborted) return;
        this.waiters.delete(check);
        signal?.removeEventListener('abort', check);
        resolve();
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', check, { once: true });
    });
  }

  /** Something changed (a download became urgent): waiters that may go on now do. */
  wake(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Ends every hold now (the engine closes). */
  release(): void {
    this.until = 0;
    this.timer?.abort();
    this.timer = undefined;
    this.wake();
  }

  private arm(): void {
    const timer = (this.timer = new AbortController());
    const left = this.until - this.clock.now();
    this.clock.sleep(left, timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        if (this.holding) this.arm();
        else this.wake();
      },
      () => {},
    );
  }
}

/** Where a download asks a playback hold whether to wait (see {@link PlaybackFirst.forDownload}). */
export interface DownloadPausePoints {
  yield(signal?: AbortSignal, digests?: readonly string[]): Promise<void> | undefined;
  holds(digests?: readonly string[]): boolean;
}
