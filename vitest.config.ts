import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/helpers/SlowFirstSequencer.js';

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/setup.ts'],
    // Two cores: at most two test files at a time, so at most two browsers run at once.
    maxWorkers: 2,
    fileParallelism: true,
    // Slow files first, so the two workers end together (see the class).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts'],
          exclude: ['test/integration/wire.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        // Each browser test file runs once per engine (Chromium, Firefox, WebKit; see
        // test/browser/harness.ts), launching one browser per engine in beforeAll.
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], exclude: ['test/browser/wire.test.ts', 'test/browser/noServiceWorker.test.ts'], testTimeout: 60_000, hookTimeout: 90_000 },
      },
      {
        extends: true,
        // Measurements: the cap at the origin (timing) and the memory of the browser processes
        // without a service worker (issue 18): npm test runs these after the others, one file at
        // a time (vitest run --project wire --no-file-parallelism), so no other browser shares the
        // machine's memory and cores. A run that another process's burst pushed over the bound is
        // measured again (at most twice more); the bound still has to hold in one whole run.
        test: {
          name: 'wire',
          include: ['test/integration/wire.test.ts', 'test/browser/wire.test.ts', 'test/browser/noServiceWorker.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 90_000,
          retry: 2,
        },
      },
    ],
  },
});
