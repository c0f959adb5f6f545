import { expose } from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCacheWorker } from '../../../src/client/startCacheWorker.js';
import { WORKER_HELLO } from '../../../src/worker/lifecycleMessages.js';

/** A Worker over a MessageChannel whose other end exposes `api` (comlink), as reprise's cache worker does. */
function fakeWorker(api: Record<string, unknown>) {
  const terminated = { value: false };
  class FakeWorker extends EventTarget {
    private readonly port: MessagePort;
    constructor() {
      super();
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      port1.onmessage = (e) => this.dispatchEvent(new MessageEvent('message', { data: e.data }));
      expose(api, port2);
      setTimeout(() => port2.postMessage(WORKER_HELLO), 0);
    }
    postMessage(data: unknown, transfer?: Transferable[]) {
      this.port.postMessage(data, transfer ?? []);
    }
    terminate() {
      terminated.value = true;
      this.port.close();
    }
  }
  vi.stubGlobal('Worker', FakeWorker);
  return terminated;
}

afterEach(() => vi.unstubAllGlobals());

describe('startCacheWorker', () => {
  it('stop() settles once the worker is ended, also when the engine does not answer close() in time (a sync stuck on a stalled request)', async () => {
    const terminated = fakeWorker({ open: async () => ({ role: 'leader' }), close: () => new Promise(() => {}) });
    const started = await startCacheWorker(new URL('https://app.test/cache-worker.js'), {} as never, () => {}, new AbortController().signal, 200);
    await expect(started.stop()).resolves.toBeUndefined();
    expect(terminated.value).toBe(true);
  });
});
