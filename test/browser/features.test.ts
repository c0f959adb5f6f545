import { afterAll, beforeAll, expect } from 'vitest';
import { TestOrigin } from '../helpers/origin.js';
import { type EngineName, eachEngine } from './harness.js';

const ALL = { indexedDB: true, webLocks: true, broadcastChannel: true, webCrypto: true, storageEstimate: true, persisted: true, opfs: true };
/** What each engine has, in the page and in the dedicated worker the engine runs in: docs/engines.md's table. */
const EXPECTED: Record<EngineName, { page: Record<string, boolean>; worker: Record<string, boolean> }> = {
  // persist() is [Exposed=Window]: a worker has persisted() but must ask the page to persist().
  chromium: { page: { ...ALL, persist: true }, worker: { ...ALL, persist: false } },
  firefox: { page: { ...ALL, persist: true }, worker: { ...ALL, persist: false } },
  webkit: {
    page: { ...ALL, storageEstimate: false, persist: false, persisted: false, opfs: false },
    worker: { ...ALL, storageEstimate: false, persist: false, persisted: false, opfs: false },
  },
};

/** Runs in a page and in a module worker of it: the storage and coordination APIs reprise uses. */
const PROBE = `() => ({
  indexedDB: typeof indexedDB === 'object' && indexedDB !== null,
  webLocks: typeof navigator.locks?.request === 'function',
  broadcastChannel: typeof BroadcastChannel === 'function',
  webCrypto: typeof crypto?.subtle?.digest === 'function',
  storageEstimate: typeof navigator.storage?.estimate === 'function',
  persist: typeof navigator.storage?.persist === 'function',
  persisted: typeof navigator.storage?.persisted === 'function',
  opfs: typeof navigator.storage?.getDirectory === 'function',
})`;

let origin: TestOrigin;
beforeAll(async () => {
  origin = await TestOrigin.start();
  origin.put('/probe.html', `<!doctype html><title>probe</title><script>window.probe = ${PROBE};</script>`, 'text/html');
  origin.put('/probe-worker.js', `postMessage((${PROBE})());`, 'text/javascript');
});
afterAll(() => origin.close());

eachEngine('platform features', (suite) => {
  suite.test('the page, its module worker and canPlayType have what docs/engines.md says', {}, async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${origin.url}/probe.html`);
    const found = await page.evaluate(async () => {
      const worker = new Worker('/probe-worker.js', { type: 'module' });
      const inWorker = await new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`module worker failed: ${e.message}`));
      });
      worker.terminate();
      const audio = document.createElement('audio');
      const codecs = Object.fromEntries(
        Object.entries({ mp3: 'audio/mpeg', aac: 'audio/mp4; codecs="mp4a.40.2"', opus: 'audio/ogg; codecs="opus"', flac: 'audio/flac', wav: 'audio/wav' }).map(([k, t]) => [k, audio.canPlayType(t)]),
      );
      return { page: (window as never as { probe: () => Record<string, boolean> }).probe(), worker: inWorker, codecs, serviceWorker: isSecureContext && 'serviceWorker' in navigator };
    });
    await page.close();
    console.log(`[${suite.engine.name}] features: ${JSON.stringify(found)}`);
    expect(found.serviceWorker).toBe(true);
    expect({ page: found.page, worker: found.worker }).toEqual(EXPECTED[suite.engine.name]);
    // Every engine plays the codecs a music service ships.
    for (const codec of ['mp3', 'aac', 'opus', 'wav'] as const) expect(found.codecs[codec], codec).toMatch(/^(maybe|probably)$/);
  });
});
