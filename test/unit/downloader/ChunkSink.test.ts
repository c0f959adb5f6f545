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
