import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPartCount, partIndexOf, shardCatalog } from '../../../src/publish/shardCatalog.js';
import { library, mediaIndex } from '../manifest/v2Fixture.js';

describe('shardCatalog', () => {
  it('places every item in the part its id hashes to, each part sorted by id, whatever the input order', () => {
    const { tracks, playlists } = library(mediaIndex(50), 500, 7);
    const parts = shardCatalog(tracks, playlists, 8);
    expect(parts.flatMap((p) => p.tracks).length).toBe(500);
    expect(parts.flatMap((p) => p.playlists).length).toBe(7);
    for (const part of parts) {
      const bins = new Set(part.tracks.map((t) => partIndexOf('t', t.id, 8)));
      expect(bins.size).toBe(1);
      expect(part.tracks.map((t) => t.id)).toEqual(part.tracks.map((t) => t.id).sort());
    }
    expect(shardCatalog([...tracks].reverse(), [...playlists].reverse(), 8)).toEqual(parts);
  });

  it('changes one part when one track changes', () => {
    const { tracks, playlists } = library(mediaIndex(50), 1_000, 3);
    const before = shardCatalog(tracks, playlists, 16).map((p) => JSON.stringify(p));
    const changed = tracks.map((t) => (t.id === 't123' ? { ...t, title: 'new' } : t));
    const after = shardCatalog(changed, playlists, 16).map((p) => JSON.stringify(p));
    expect(after.filter((p, i) => p !== before[i])).toHaveLength(1);
  });

  it('spreads ids evenly over a power-of-two part count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.string({ minLength: 1, maxLength: 8 }), (bits, prefix) => {
        const count = 2 ** bits;
        const sizes = new Array(count).fill(0);
        for (let i = 0; i < 200 * count; i++) sizes[partIndexOf('t', `${prefix}${i}`, count)]++;
        expect(Math.min(...sizes)).toBeGreaterThan(100);
      }),
      { numRuns: 30 },
    );
    expect(defaultPartCount(10_021)).toBe(128);
    expect(defaultPartCount(100_021)).toBe(1024);
    expect(defaultPartCount(5)).toBe(1);
    expect(() => shardCatalog([], [], 3)).toThrow(expect.objectContaining({ name: 'invalid-argument' }));
  });
});
