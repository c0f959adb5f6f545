import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BATCH_MAX_AGE_MS, ChunkSink } from '../../../src/downloader/ChunkSink.js';
import { until } from '../../helpers/wait.js';
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

describe('ChunkSink as chunks verify', () => {
  it('makes each verified chunk\'s value as it verifies, one at a time (not a batch\'s worth in its write), and hands it to the write; a mismatch gets none', async () => {
    const clock = new ManualClock();
    const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');
    const chunk = (i: number) => new Uint8Array([i, i, i, i]);
    const events: string[] = [];
    const written: { index: number; value?: Blob }[][] = [];
    const sink = new ChunkSink(
      async (chunks) => {
        events.push('write');
        written.push(chunks.map((c) => ({ index: c.index, value: c.value })));
      },
      clock,
      {
        prepare: (bytes) => (events.push(`make ${new Uint8Array(bytes)[0]}`), new Blob([bytes])),
      },
    );
    await sink.add(0, digest(chunk(0)), chunk(0).buffer);
    await sink.add(1, 'not-its-digest', chunk(1).buffer);
    await sink.add(2, digest(chunk(2)), chunk(2).buffer);
    await new Promise((r) => setTimeout(r, 10)); // verified by now; the batch waits for more
    expect(events).toEqual(['make 0', 'make 2']);
    await sink.finish();
    expect(events).toEqual(['make 0', 'make 2', 'write']);
    expect(written[0]!.map((c) => c.index)).toEqual([0, 2]);
    expect(await Promise.all(written[0]!.map(async (c) => [...new Uint8Array(await c.value!.arrayBuffer())]))).toEqual([[0, 0, 0, 0], [2, 2, 2, 2]]);
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

describe('ChunkSink: verified chunks not yet written', () => {
  it('reports each chunk as it verifies, before its write; holds its bytes (by digest) while it waits for its batch and the write before it, and no longer once that write settles; a mismatch is neither reported nor held', async () => {
    const clock = new ManualClock();
    const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');
    const chunk = (i: number) => new Uint8Array([i, i, i, i, i]);
    let openWrite!: () => void;
    const writes: number[][] = [];
    const reported: { index: number; bytes: number[] }[] = [];
    // The first write stays in flight until the test lets it end.
    const sink = new ChunkSink(
      async (chunks) => {
        writes.push(chunks.map((c) => c.index));
        if (writes.length === 1) await new Promise<void>((resolve) => (openWrite = resolve));
      },
      clock,
      { maxAgeMs: () => 0, onVerified: (c) => reported.push({ index: c.index, bytes: [...new Uint8Array(c.bytes)] }) },
    );
    await sink.add(0, digest(chunk(0)), chunk(0).buffer);
    await sink.add(1, 'not-its-digest', chunk(1).buffer);
    await sink.add(2, digest(chunk(2)), chunk(2).buffer);
    // 0 in the write in flight, 2 verified and waiting behind it (awaited: a 10 ms sleep was not
    // enough for the digests under CI's load, a fresh-clone run of 305a54d).
    await until(() => reported.length === 2, 5000, 'chunks 0 and 2 verified');
    expect(writes).toEqual([[0]]);
    expect(reported).toEqual([{ index: 0, bytes: [...chunk(0)] }, { index: 2, bytes: [...chunk(2)] }]);
    expect([...new Uint8Array(sink.held(digest(chunk(0)))!)]).toEqual([...chunk(0)]);
    expect([...new Uint8Array(sink.held(digest(chunk(2)))!)]).toEqual([...chunk(2)]);
    expect(sink.held(digest(chunk(1)))).toBeUndefined();
    openWrite();
    await sink.finish();
    expect(writes).toEqual([[0], [2]]);
    expect(sink.held(digest(chunk(0)))).toBeUndefined();
    expect(sink.held(digest(chunk(2)))).toBeUndefined();
  });
});
