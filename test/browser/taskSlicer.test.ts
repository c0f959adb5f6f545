// The engine's long jobs (a 10,000-track manifest decoded, a catalog built) yield through
// TaskSlicer so that reads never wait behind them (docs/how-it-works.md "Responsiveness"). In a
// Chromium worker, a yield must let queued messages (a comlink call: getTrack, status) and due
// timers (the scheduler's, the heartbeat of the benchmark) run before the next slice:
// `scheduler.yield()` does not (its continuation jumps the queue), which this test catches.
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launch } from './harness.js';

let browser: Awaited<ReturnType<typeof launch>>;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function slicerBundle(): Promise<string> {
  const entry = new URL('../../src/manifest/v2/TaskSlicer.ts', import.meta.url).pathname;
  const out = await build({ entryPoints: [entry], bundle: true, format: 'iife', globalName: 'slicing', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

it('[chromium] a job sliced by TaskSlicer in a worker lets a message and a timer in between its slices', async () => {
  const page = await browser.context.newPage();
  await page.goto('about:blank');
  const result = await page.evaluate(async (bundle) => {
    const src = `${bundle}
      let jobRunning = false;
      let beatsDuringJob = 0;
      setInterval(() => { if (jobRunning) beatsDuringJob++; }, 10);
      onmessage = async (e) => {
        if (e.data === 'read') return postMessage({ read: true, answeredDuringJob: jobRunning });
        jobRunning = true;
        postMessage({ started: true });
        const slicer = new slicing.TaskSlicer(8);
        const t0 = performance.now();
        let steps = 0;
        // 400 ms of work in small steps, as decodeParts and Catalog.build do.
        while (performance.now() - t0 < 400) {
          const s = performance.now();
          while (performance.now() - s < 0.5);
          steps++;
          await slicer.check();
        }
        jobRunning = false;
        postMessage({ done: true, beatsDuringJob, yields: slicer.yieldCount, steps });
      };`;
    const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    return new Promise<Record<string, unknown>>((resolve) => {
      const seen: Record<string, unknown> = {};
      worker.onmessage = (e: MessageEvent<Record<string, unknown>>) => {
        if (e.data.started) worker.postMessage('read');
        Object.assign(seen, e.data);
        if (seen.read && seen.done) resolve(seen);
      };
      worker.postMessage('job');
    });
  }, await slicerBundle());
  await page.close();
  expect(result.yields).toBeGreaterThan(5);
  // The read was answered while the job still ran, and the 10 ms timer fired between slices.
  expect(result.answeredDuringJob).toBe(true);
  expect(result.beatsDuringJob).toBeGreaterThanOrEqual(3);
});
