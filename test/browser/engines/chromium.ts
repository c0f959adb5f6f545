import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium as playwright } from 'playwright-core';
import type { Engine, EngineBrowser, EnginePage } from './types.js';

const BINARY = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags from the brief: this machine's network is closed, so no background traffic; a fresh profile each time. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
];

function wrap(page: Page): EnginePage {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // Chromium also logs each failed request as a console error: a network answer, not a page error.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(`console.error: ${m.text()}`));
  return {
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    waitForFunction: async (fn, arg, timeoutMs = 10_000) => void (await page.waitForFunction(fn as never, arg, { timeout: timeoutMs })),
    click: (selector) => page.click(selector),
    select: async (selector, value) => void (await page.selectOption(selector, value)),
    screenshot: async (path) => void (await page.screenshot({ path, fullPage: true })),
    close: () => page.close({ runBeforeUnload: false }),
    errors: async () => [...errors],
  };
}

/** Chromium with a fresh profile as a Playwright context, for code that wants Playwright's own API. */
export async function launchPlaywright(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'reprise-chromium-'));
  const context = await playwright.launchPersistentContext(profile, { executablePath: BINARY, headless: true, args: FLAGS });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium through Playwright (CDP). */
export const chromium: Engine = {
  name: 'chromium',
  binaries: [BINARY],
  install: 'sudo apt-get install -y chromium   (or set CHROMIUM_PATH)',
  async launch(): Promise<EngineBrowser> {
    const { context, close } = await launchPlaywright();
    return { engine: 'chromium', newPage: async () => wrap(await context.newPage()), close };
  },
};
