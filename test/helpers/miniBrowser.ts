// WebKitGTK's MiniBrowser outside WebDriver, with a persistent website data store. Under
// WebDriver (`--automation`) MiniBrowser runs an ephemeral session: IndexedDB lives in memory and
// refuses Blob values ("Error preparing Blob/File data to be stored in object store"), unlike
// WebKit in an app (WKWebView's default data store, Safari). Tests that need WebKit's real storage
// open a page here; the page drives itself and talks to the test over HTTP (fetch to its origin).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Xvfb } from '../browser/engines/Xvfb.js';

const MINIBROWSER = process.env.WEBKIT_MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export interface PersistentWebKit {
  /** MiniBrowser's pid: its WebKitWebProcess and WebKitNetworkProcess are its children. */
  pid: number;
  close(): Promise<void>;
}

/** Opens `url` in a MiniBrowser with a fresh, persistent profile (a temporary HOME) on an X display of its own. */
export async function openPersistentWebKit(url: string): Promise<PersistentWebKit> {
  const xvfb = await Xvfb.start();
  const home = mkdtempSync(join(tmpdir(), 'reprise-webkit-'));
  // Its own process group, killed by that pid: the web and network processes go with it.
  const child: ChildProcess = spawn(MINIBROWSER, ['--autoplay-policy=allow', url], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, DISPLAY: xvfb.display, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config') },
  });
  const exited = new Promise((r) => child.once('exit', r));
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  const onExit = () => (kill(), xvfb.kill());
  process.once('exit', onExit);
  if (child.pid === undefined) throw new Error(`${MINIBROWSER} did not start`);
  return {
    pid: child.pid,
    async close() {
      process.off('exit', onExit);
      kill();
      await exited;
      await xvfb.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
