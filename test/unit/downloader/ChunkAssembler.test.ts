import { describe, expect, it } from 'vitest';
import { ChunkAssembler } from '../../../src/downloader/ChunkAssembler.js';

const file = Uint8Array.from({ length: 25 }, (_, i) => i);
const part = (start: number, end: number) => file.subarray(start, end);
const bytes = (c: { bytes: ArrayBuffer }) => [...new Uint8Array(c.bytes)];

describe('ChunkAssembler', () => {
  it.each([
    ['in order', [[0, 6], [6, 10]]],
    ['the second half first (two open requests)', [[5, 10], [0, 5]]],
    ['in many small pieces, out of order', [[8, 10], [0, 3], [3, 8]]],
  ])('puts a chunk together from parts %s and hands it out once, when its last byte arrived', (_what, parts) => {
    const a = new ChunkAssembler(25, 10, new Set([0]));
    const out = parts.map(([s, e]) => a.write(s!, part(s!, e!)));
    expect(out.slice(0, -1).flat()).toEqual([]);
    expect(out.at(-1)!.map((c) => c.index)).toEqual([0]);
    expect(bytes(out.at(-1)![0]!)).toEqual([...file.subarray(0, 10)]);
    expect(a.wanted.has(0)).toBe(false);
    expect(a.write(0, part(0, 10))).toEqual([]); // no longer wanted
  });

  it('skips the bytes of chunks not wanted, and completes the short last chunk', () => {
    const a = new ChunkAssembler(25, 10, new Set([2]));
    const done = a.write(0, part(0, 25));
    expect(done.map((c) => [c.index, bytes(c)])).toEqual([[2, [...file.subarray(20, 25)]]]);
  });
});
