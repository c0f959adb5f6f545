import { chromium } from './chromium.js';
import { firefox } from './firefox.js';
import type { Engine, EngineName } from './types.js';
import { webkit } from './webkit.js';

export { launchPlaywright } from './chromium.js';
export { ERROR_HOOK } from './pageErrors.js';
export * from './features.js';
export * from './types.js';

const ALL: Engine[] = [chromium, firefox, webkit];

/**
 * The engines the browser suite runs in: all three, or the ones named in REPRISE_ENGINES
 * (e.g. `REPRISE_ENGINES=webkit npx vitest run test/browser`) while working on one of them.
 */
export const engines: Engine[] = (() => {
  const wanted = process.env.REPRISE_ENGINES?.split(',').map((s) => s.trim()).filter(Boolean) as EngineName[] | undefined;
  if (!wanted?.length) return ALL;
  const unknown = wanted.filter((w) => !ALL.some((e) => e.name === w));
  if (unknown.length) throw new Error(`REPRISE_ENGINES names ${unknown.join(', ')}: use chromium, firefox or webkit`);
  return ALL.filter((e) => wanted.includes(e.name));
})();
