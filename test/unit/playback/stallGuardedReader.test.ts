import { describe, expect, it } from 'vitest';
import { stallGuardedReader } from '../../../src/playback/stallGuardedReader.js';

const never = new Promise<never>(() => {});
const bytes = (n: number) => new Uint8Array([n]).buffer;

/** A store whose reads answer as told, in order ('never': a read that does not settle). */
function store(answers: ('never' | 'ok' | 'fail')[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    getChunks(digests: readonly string[]) {
      const a = answers[calls++] ?? 'ok';
      if (a === 'never') return never;
      if (a === 'fail') return Promise.reject(new DOMException('read failed', 'UnknownError'));
      return Promise.resolve(digests.map((_d, i) => bytes(i)));
    },
  };
}

describe('stallGuardedReader (the service worker never waits for ever on a stored chunk)', () => {
  it('a read that answers is used as it is, asked once', async () => {
    const s = store(['ok']);
    expect(await stallGuardedReader(s, 20, 50).getChunks(['a', 'b'])).toHaveLength(2);
    expect(s.calls).toBe(1);
  });

  it('a read that does not settle is asked again; the fresh read answers', async () => {
    const s = store(['never', 'ok']);
    const started = performance.now();
    const got = await stallGuardedReader(s, 20, 500).getChunks(['a']);
    expect(new Uint8Array(got[0]!)[0]).toBe(0);
    expect(s.calls).toBe(2);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('neither read settles: storage-failed, not a hang', async () => {
    const s = store(['never', 'never']);
    const error = (await stallGuardedReader(s, 20, 50).getChunks(['a']).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('storage-failed');
    expect(error.message).toMatch(/did not return 1 stored chunk\(s\) within 0.07 s, read twice/);
  });

  it("a read's failure is the caller's to see (not asked again)", async () => {
    const s = store(['fail']);
    await expect(stallGuardedReader(s, 20, 50).getChunks(['a'])).rejects.toThrow('read failed');
    expect(s.calls).toBe(1);
  });
});
