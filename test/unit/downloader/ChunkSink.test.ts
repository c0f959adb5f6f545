import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BATCH_MAX_AGE_MS, ChunkSink } from '../../../src/downloader/ChunkSink.js';
import { ManualClock } from '../../helpers/ManualClock.js';

describe('ChunkSink', () => {
  it('commits a partial batch when its first chunk has waited BATCH_MAX_AGE_MS on the injected clock, not on real time', async () => {
    const clock = new ManualClock();
    const commits: number[][] = [];
    const sink = new ChunkSink(async (chunks) => void commits.push(chunks.map((c) => c.index)), clock);
    const bytes = new Uint8Array([1, 2, 3]);
    await sink.add(0, createHash('sha256').update(bytes).digest('base64url'), bytes.buffer);
    await new Promise((r) => setTimeout(r, BATCH_MAX_AGE_MS + 100)); // real time passes …
    expect(commits).toEqual([]); // … the manual clock does not
    await clock.advance(BATCH_MAX_AGE_MS);
    await new Promise((r) => setTimeout(r, 10));
    expect(commits).toEqual([[0]]);
  });
});

describe('ChunkSink after a write the quota refused', () => {
  it('hands back every verified chunk not stored: the refused part of the batch and what was still being hashed; mismatches are left out', async () => {
    const clock = new ManualClock();
    const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');
    const chunk = (i: number) => new Uint8Array([i, i, i]);
    // The store keeps the first two chunks of the batch, then the quota is full.
    const sink = new ChunkSink(async (chunks) => {
      throw Object.assign(new Error('full'), { name: 'quota-exceeded', details: { committed: chunks.slice(0, 2).map((c) => c.digest) } });
    }, clock);
    for (const i of [0, 1, 2, 3]) await sink.add(i, digest(chunk(i)), chunk(i).buffer);
    await sink.add(4, 'not-its-digest', chunk(4).buffer);
    await expect(sink.finish()).rejects.toMatchObject({ name: 'quota-exceeded' });
    expect(sink.committed).toEqual([0, 1]);
    const unstored = await sink.unstoredChunks();
    expect(unstored.map((c) => c.index)).toEqual([2, 3]);
    expect(unstored.every((c, k) => c.digest === digest(chunk(k + 2)))).toBe(true);
    expect(await sink.unstoredChunks()).toEqual([]); // handed over once
  });
});
