import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { ERROR_HOOK, TAKE_ERRORS } from './pageErrors.js';
import { type Engine, type EngineBrowser, type EnginePage, poll } from './types.js';

const BINARY = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Preferences for a test profile: media plays without a gesture, silently; nothing phones home. */
const PREFS: Record<string, unknown> = {
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'media.volume_scale': '0.0',
  // No sound card or sound server here: play into ALSA's null device (see ASOUNDRC).
  'media.cubeb.backend': 'alsa',
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

/**
 * Firefox stops a playing element with MEDIA_ERR_DECODE ("OnMediaSinkAudioError") when it has no
 * audio output: a machine without a sound card or PulseAudio. ALSA's built-in null device takes
 * the samples instead, configured through the HOME Firefox runs with.
 */
const ASOUNDRC = 'pcm.!default { type null }\nctl.!default { type hw card 0 }\n';

async function wrap(page: Page): Promise<EnginePage> {
  const errors: string[] = [];
  await page.evaluateOnNewDocument(ERROR_HOOK);
  const harvest = async () => {
    errors.push(...((await page.evaluate(new Function(TAKE_ERRORS) as () => string[]).catch(() => null)) ?? []));
  };
  return {
    goto: async (url) => void (await page.goto(url)),
    async reload() {
      await harvest();
      await page.reload();
    },
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    // puppeteer's waitForFunction over BiDi polls with requestAnimationFrame, which a headless
    // background tab may not run: poll from here instead.
    waitForFunction: (fn, arg, timeoutMs = 10_000) => poll(async () => Boolean(await page.evaluate(fn as never, arg)), `${String(fn).slice(0, 80)} in Firefox`, timeoutMs, 50, true),
    click: (selector) => page.click(selector),
    select: async (selector, value) => void (await page.select(selector, value)),
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png`, fullPage: true })),
    async close() {
      await harvest();
      await page.close({ runBeforeUnload: false });
    },
    async errors() {
      await harvest();
      return [...errors];
    },
  };
}

/** Debian's Firefox ESR through puppeteer-core over WebDriver BiDi. */
export const firefox: Engine = {
  name: 'firefox',
  binaries: [BINARY],
  install: 'sudo apt-get install -y firefox-esr   (or set FIREFOX_PATH)',
  async launch(): Promise<EngineBrowser> {
    const profile = await mkdtemp(join(tmpdir(), 'reprise-firefox-'));
    const home = await mkdtemp(join(tmpdir(), 'reprise-firefox-home-'));
    await writeFile(join(home, '.asoundrc'), ASOUNDRC);
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: BINARY, headless: true, userDataDir: profile, extraPrefsFirefox: PREFS, env: { ...process.env, HOME: home } });
    const pid = browser.process()?.pid;
    return {
      engine: 'firefox',
      newPage: async () => wrap(await browser.newPage()),
      async close() {
        await browser.close().catch(() => {});
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone: browser.close() ended it
          }
        }
        await rm(profile, { recursive: true, force: true });
        await rm(home, { recursive: true, force: true });
      },
    };
  },
};
