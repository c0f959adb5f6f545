/** The three engines the browser suite runs in. */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** A tab of the browser under test, the same for every engine's driver. */
export interface EnginePage {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /**
   * Runs `fn(arg)` in the page and returns its (JSON-serialisable) result. `fn` travels as source:
   * it must not close over test variables; pass them in `arg`.
   */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Resolves once `fn(arg)` returns something truthy in the page (across navigations); rejects after `timeoutMs`. */
  waitForFunction<A = undefined>(fn: (arg: A) => unknown, arg?: A, timeoutMs?: number): Promise<void>;
  click(selector: string): Promise<void>;
  /** Chooses the `<option>` with `value` in the `<select>` at `selector`, firing `input` and `change`. */
  select(selector: string, value: string): Promise<void>;
  screenshot(path: string): Promise<void>;
  /** Closes the tab without running `beforeunload` handlers, as a crash or a swipe-away does. */
  close(): Promise<void>;
  /** Uncaught errors, unhandled rejections and `console.error` lines of this page so far. */
  errors(): Promise<string[]>;
}

/** A running browser with one fresh profile: its pages share storage, service workers and locks. */
export interface EngineBrowser {
  readonly engine: EngineName;
  newPage(): Promise<EnginePage>;
  /** Closes every page and the browser, kills the processes the driver started, removes the profile. */
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** What the driver starts; missing means the test fails with `install`. */
  readonly binaries: string[];
  /** The command that installs the binaries on Debian. */
  readonly install: string;
  launch(): Promise<EngineBrowser>;
}

/**
 * Polls `check` every `everyMs` until it returns true; rejects with `what` after `timeoutMs`.
 * With `tolerant`, a check that throws (the page is navigating) counts as false, and the last
 * error is in the timeout's message.
 */
export async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 50, tolerant = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (!tolerant) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String((last as Error).message ?? last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
