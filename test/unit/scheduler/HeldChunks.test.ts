import { describe, expect, it } from 'vitest';
import { HeldChunks } from '../../../src/scheduler/HeldChunks.js';

const chunk = (index: number) => ({ index, digest: `d${index}`, bytes: new ArrayBuffer(1) });

describe('HeldChunks', () => {
  it('returns what is held for the same content once; another content or a plan without it drops it', () => {
    const held = new HeldChunks();
    held.add('t', 'c1', [chunk(1)]);
    held.add('t', 'c1', [chunk(2)]);
    expect(held.take('t', 'c1').map((c) => c.index)).toEqual([1, 2]);
    expect(held.take('t', 'c1')).toEqual([]);
    held.add('t', 'c1', [chunk(3)]);
    expect(held.take('t', 'c2')).toEqual([]); // re-published: the old content's chunks are not written
    held.add('t', 'c1', [chunk(4)]);
    held.add('u', 'c9', [chunk(5)]);
    held.retain((id) => (id === 'u' ? 'c9' : undefined));
    expect([held.take('t', 'c1'), held.take('u', 'c9').length]).toEqual([[], 1]);
  });
});
