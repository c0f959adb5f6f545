import type { RepriseError } from '../errors/RepriseError.js';
import type { Clock } from './clock.js';

export interface StallWatchdog {
  /** Set once no byte arrived for `stallMs`: the pending read then fails with it. */
  stalled: RepriseError | undefined;
  /** True while the request waits for tokens: it is not reading, so it cannot be stalled. */
  throttled: boolean;
  /** A byte arrived. */
  progress(): void;
  stop(): void;
}

/**
 * One timer per request, not one per read: reads only note the time. When no byte arrived for
 * `stallMs`, the reader is cancelled and the pending read fails with `stalledError()` (a media
 * request's transient `network`, a manifest document's `network`; details `stalled`).
 * Time spent waiting for throttle tokens is not a stall (the reader is not reading then).
 */
export function stallWatchdog(reader: ReadableStreamDefaultReader<Uint8Array>, clock: Clock, stallMs: number, stalledError: () => RepriseError): StallWatchdog {
  const timer = new AbortController();
  let last = clock.now();
  const state: StallWatchdog = {
    stalled: undefined,
    throttled: false,
    progress() {
      last = clock.now();
    },
    stop() {
      timer.abort();
    },
  };
  void (async () => {
    try {
      for (;;) {
        if (state.throttled) state.progress();
        const idle = clock.now() - last;
        if (idle >= stallMs) break;
        await clock.sleep(stallMs - idle, timer.signal);
      }
      state.stalled = stalledError();
      await reader.cancel(state.stalled).catch(() => {});
    } catch {
      // stopped: the request ended first
    }
  })();
  return state;
}
