import { describe, expect, it } from 'vitest';
import { OperationQueue } from '../../../src/engine/OperationQueue.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('OperationQueue', () => {
  it('runs operations one at a time, in call order', async () => {
    const q = new OperationQueue();
    const log: string[] = [];
    const first = deferred();
    const a = q.run(async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = q.run(async () => {
      log.push('b start');
      return 'b';
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    expect(q.size).toBe(2);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start']);
    expect(q.size).toBe(0);
  });

  it('a failing operation rejects its caller only; the next one still runs', async () => {
    const q = new OperationQueue();
    const failing = q.run(async () => {
      throw new Error('boom');
    });
    const next = q.run(async () => 42);
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe(42);
  });

  it('drained() waits for what was queued before it, not after', async () => {
    const q = new OperationQueue();
    const gate = deferred();
    let done = false;
    void q.run(async () => {
      await gate.promise;
      done = true;
    });
    const drained = q.drained().then(() => done);
    gate.resolve();
    expect(await drained).toBe(true);
  });
});
