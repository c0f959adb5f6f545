import { describe, expect, it } from 'vitest';
import { VerifiedChunkCache } from '../../../src/playback/VerifiedChunkCache.js';

const buf = (n: number) => new ArrayBuffer(n);

describe('VerifiedChunkCache', () => {
  it('holds at most maxBytes, dropping the least recently used first', () => {
    const cache = new VerifiedChunkCache(300);
    cache.put('a', buf(100));
    cache.put('b', buf(100));
    cache.put('c', buf(100));
    expect(cache.get('a')).toBeDefined(); // a is now the most recently used
    cache.put('d', buf(100));
    expect(['a', 'b', 'c', 'd'].map((k) => cache.get(k) !== undefined)).toEqual([true, false, true, true]);
    expect(cache.bytes).toBe(300);
  });

  it('re-putting a digest replaces it without counting it twice', () => {
    const cache = new VerifiedChunkCache(300);
    cache.put('a', buf(100));
    cache.put('a', buf(150));
    expect(cache.bytes).toBe(150);
    expect(cache.get('a')!.byteLength).toBe(150);
  });

  it('does not hold a chunk larger than its bound, and clear() empties it', () => {
    const cache = new VerifiedChunkCache(100);
    cache.put('big', buf(101));
    expect(cache.get('big')).toBeUndefined();
    cache.put('small', buf(60));
    cache.put('other', buf(60));
    expect([cache.get('small'), cache.bytes]).toEqual([undefined, 60]);
    cache.clear();
    expect([cache.get('other'), cache.bytes]).toEqual([undefined, 0]);
  });
});
