import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Builder, By, type WebDriver } from 'selenium-webdriver';
import { type Engine, type EngineBrowser, type EnginePage, poll } from './types.js';
import { ERROR_HOOK, TAKE_ERRORS } from './pageErrors.js';
import { Xvfb } from './Xvfb.js';

const DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.WEBKIT_MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * WebDriver runs one command at a time on the window it is switched to. Each page command takes
 * the session, switches to its window and runs; page scripts run asynchronously in the page
 * (results parked in `window.__evals`) so that two pages can work at the same time.
 */
class Session {
  private queue: Promise<unknown> = Promise.resolve();
  private current = '';
  constructor(readonly driver: WebDriver) {}

  run<T>(handle: string, op: (d: WebDriver) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.driver.switchTo().window(handle);
        this.current = handle;
      }
      return op(this.driver);
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

let evalIds = 0;

function page(session: Session, handle: string): EnginePage {
  const errors: string[] = [];
  const harvest = async () => {
    const found = await session.run(handle, (d) => d.executeScript<string[] | null>(TAKE_ERRORS)).catch(() => null);
    errors.push(...(found ?? []));
  };
  const evaluate = async <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> => {
    const id = ++evalIds;
    const argJson = arg === undefined ? 'undefined' : JSON.stringify(arg);
    // A script that settles at once (or navigates the page away) answers in the same command;
    // a longer one is parked in window.__evals and polled, so other pages can run meanwhile.
    const settled = await session.run(handle, (d) =>
      d.executeScript<{ done: boolean; value?: R; message?: string; error?: string } | null>(`window.__evals = window.__evals || {}; window.__name = window.__name || ((f) => f);
window.__evals[${id}] = { done: false };
const settle = Promise.resolve().then(() => (${String(fn)})(${argJson})).then(
  (v) => ({ done: true, value: v === undefined ? null : v }),
  (e) => ({ done: true, error: String((e && e.stack) || e) + '', message: String((e && e.message) || e) }));
settle.then((r) => { if (window.__evals[${id}]) window.__evals[${id}] = r; });
return Promise.race([settle, new Promise((r) => setTimeout(() => r({ done: false }), 50))]).then((r) => { if (r.done) delete window.__evals[${id}]; return r; });`),
    );
    if (settled?.done) {
      if (settled.error !== undefined) throw new Error(settled.message, { cause: settled.error });
      return settled.value as R;
    }
    let result: { done: boolean; value?: R; message?: string; error?: string; lost?: boolean } = { done: false };
    await poll(
      async () => {
        result = await session.run(handle, (d) => d.executeScript(`const r = window.__evals && window.__evals[${id}]; if (!r) return { lost: true, done: true }; if (r.done) delete window.__evals[${id}]; return r;`));
        return result.done;
      },
      `a page script in WebKit: ${String(fn).slice(0, 80)}`,
      120_000,
      25,
    );
    if (result.lost) throw new Error('the page navigated or closed while a script ran in it');
    if (result.error !== undefined) throw new Error(result.message, { cause: result.error });
    return result.value as R;
  };
  return {
    async goto(url) {
      await session.run(handle, (d) => d.get(url));
      await session.run(handle, (d) => d.executeScript(ERROR_HOOK));
    },
    async reload() {
      await harvest();
      await session.run(handle, (d) => d.navigate().refresh());
      await session.run(handle, (d) => d.executeScript(ERROR_HOOK));
    },
    evaluate,
    waitForFunction: (fn, arg, timeoutMs = 10_000) => poll(async () => Boolean(await evaluate(fn, arg)), `${String(fn).slice(0, 80)} in WebKit`, timeoutMs, 50, true),
    click: (selector) => session.run(handle, async (d) => d.findElement(By.css(selector)).click()),
    // Sets the value in the page and fires the events, as Playwright's selectOption does.
    select: (selector, value) =>
      evaluate(
        ({ selector, value }) => {
          const select = document.querySelector<HTMLSelectElement>(selector);
          if (!select) throw new Error(`no <select> matches ${selector}`);
          select.value = value;
          for (const type of ['input', 'change']) select.dispatchEvent(new Event(type, { bubbles: true }));
        },
        { selector, value },
      ),
    async screenshot(path) {
      await writeFile(path, Buffer.from(await session.run(handle, (d) => d.takeScreenshot()), 'base64'));
    },
    async close() {
      await harvest();
      await session.run(handle, (d) => d.close());
    },
    async errors() {
      await harvest();
      return [...errors];
    },
  };
}

/** WebKitGTK's MiniBrowser driven by WebKitWebDriver (W3C WebDriver) on an Xvfb display of its own. */
export const webkit: Engine = {
  name: 'webkit',
  binaries: [DRIVER, MINIBROWSER, '/usr/bin/Xvfb'],
  install: 'sudo apt-get install -y webkit2gtk-driver xvfb gstreamer1.0-plugins-good gstreamer1.0-libav',
  async launch(): Promise<EngineBrowser> {
    const xvfb = await Xvfb.start();
    const port = await freePort();
    // Its own process group: closing kills the driver and the MiniBrowser it started, by that pid.
    const child: ChildProcess = spawn(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { detached: true, stdio: 'ignore', env: { ...process.env, DISPLAY: xvfb.display } });
    const exited = new Promise((r) => child.once('exit', r));
    // If the test process ends without close() (a crash, a timeout), the detached group would live on.
    const onExit = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      xvfb.kill();
    };
    process.once('exit', onExit);
    const kill = async () => {
      process.off('exit', onExit);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        await exited;
      } catch {
        // the group is gone already
      }
      await xvfb.stop();
    };
    try {
      const server = `http://127.0.0.1:${port}`;
      await poll(async () => (await fetch(`${server}/status`).then((r) => r.ok, () => false)), 'WebKitWebDriver to listen', 10_000);
      const driver = await new Builder()
        .usingServer(server)
        .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', '--autoplay-policy=allow'] } })
        .build();
      const session = new Session(driver);
      // The first window stays on about:blank: WebDriver ends the session when its last window closes.
      const home = await driver.getWindowHandle();
      return {
        engine: 'webkit',
        async newPage() {
          const handle = await session.run(home, async (d) => {
            // A window, not a tab: a background tab's timers are throttled to one a second.
            await d.switchTo().newWindow('window');
            return d.getWindowHandle();
          });
          // switchTo().newWindow() moved the session: tell it where it is now.
          await session.run(handle, async () => undefined).catch(() => {});
          return page(session, handle);
        },
        async close() {
          await session.run(home, (d) => d.quit()).catch(() => {});
          await kill();
        },
      };
    } catch (e) {
      await kill();
      throw e;
    }
  },
};
