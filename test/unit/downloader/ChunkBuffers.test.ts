import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkBuffers } from '../../../src/downloader/ChunkBuffers.js';
import type { VerifiedChunk } from '../../../src/downloader/ChunkSink.js';
import { downloadTrack } from '../../../src/downloader/downloadTrack.js';
import { systemClock } from '../../../src/util/clock.js';
import { bytesOf, chunkDigests } from '../../helpers/catalog.js';

describe('ChunkBuffers', () => {
  it('hands back a returned buffer of the same size, and a fresh one otherwise', () => {
    const pool = new ChunkBuffers();
    const a = pool.take(1024);
    expect(a.byteLength).toBe(1024);
    pool.give([a.buffer]);
    expect(pool.take(512).buffer).not.toBe(a.buffer);
    expect(pool.take(1024).buffer).toBe(a.buffer);
    expect(pool.take(1024).buffer).not.toBe(a.buffer); // taken once, gone from the pool
  });

  it('never hands out one buffer twice, even when it was returned twice', () => {
    const pool = new ChunkBuffers();
    const a = pool.take(64);
    pool.give([a.buffer, a.buffer]);
    pool.give([a.buffer]);
    expect(pool.take(64).buffer).toBe(a.buffer);
    expect(pool.take(64).buffer).not.toBe(a.buffer);
  });

  it('keeps only power-of-two sizes (chunk sizes; a short last chunk would rarely fit again)', () => {
    const pool = new ChunkBuffers();
    const last = pool.take(1000);
    pool.give([last.buffer]);
    expect(pool.take(1000).buffer).not.toBe(last.buffer);
  });

  it('keeps 2 MiB by default: eight 256 KiB chunks, not a download\'s worth (the worker\'s heap aim)', () => {
    const pool = new ChunkBuffers();
    const bufs = Array.from({ length: 10 }, () => pool.take(256 * 1024));
    pool.give(bufs.map((b) => b.buffer));
    const again = Array.from({ length: 10 }, () => pool.take(256 * 1024).buffer);
    expect(again.filter((b) => bufs.some((x) => x.buffer === b))).toHaveLength(8);
  });

  it('keeps at most maxBytes; clear() empties it', () => {
    const pool = new ChunkBuffers(2048);
    const bufs = [pool.take(1024), pool.take(1024), pool.take(1024)];
    pool.give(bufs.map((b) => b.buffer));
    const again = [pool.take(1024), pool.take(1024), pool.take(1024)].map((b) => b.buffer);
    expect(again.filter((b) => bufs.some((x) => x.buffer === b))).toHaveLength(2);
    pool.give(again);
    pool.clear();
    expect(bufs.some((b) => b.buffer === pool.take(1024).buffer)).toBe(false);
  });
});

describe('downloads sharing reused buffers', () => {
  const CHUNK = 4096; // 41 chunks a track: several batches of 16 each, so writes overlap reads

  /** A fetch answering 200 with the whole body, cut into the given piece sizes, one per turn of the event loop. */
  const fetchOf = (body: Uint8Array, pieces: number[]): typeof fetch => async () => {
    let at = 0;
    let k = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Pieces arrive while hashes complete and writes commit, as on a network.
        await new Promise((r) => setImmediate(r));
        if (at >= body.length) return controller.close();
        const n = pieces[k++ % pieces.length]!;
        controller.enqueue(body.slice(at, at + n)); // a copy, as a network read would be
        at += n;
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'audio/mpeg', 'content-length': String(body.length) } });
  };

  it('a buffer is never reused before its write committed: every stored chunk is the source', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 256, max: 3 * CHUNK }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 39 }),
        async (pieces, delays, corrupt) => {
          const pool = new ChunkBuffers();
          const bodies = ['a', 'b', 'c'].map((seed) => new Uint8Array(bytesOf(seed, CHUNK * 40 + 100)));
          const stored = new Map<string, Uint8Array>();
          let writes = 0;
          await Promise.all(
            bodies.map((body, t) => {
              const digests = chunkDigests(Buffer.from(body), CHUNK);
              // The origin serves one chunk of the first track wrong: its buffer returns to the pool early.
              const served = body.slice();
              if (t === 0) served[corrupt * CHUNK] = served[corrupt * CHUNK]! ^ 0xff;
              return downloadTrack(
                { trackId: `t${t}`, url: `https://origin.test/t${t}`, mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, digests, missing: digests.map((_, i) => i) },
                {
                  fetch: fetchOf(served, pieces),
                  clock: systemClock,
                  signal: new AbortController().signal,
                  stallMs: 5000,
                  throttle: async () => {},
                  buffers: pool,
                  commit: async (chunks: VerifiedChunk[]) => {
                    // Like IndexedDB: the value is copied when put, the commit completes later.
                    const copies = chunks.map((c) => new Uint8Array(c.bytes).slice());
                    await new Promise((r) => setTimeout(r, delays[writes++ % delays.length]));
                    chunks.forEach((c, k) => {
                      expect(Buffer.from(c.bytes).equals(copies[k]!)).toBe(true); // untouched until committed
                      stored.set(`${t}:${c.index}`, copies[k]!);
                    });
                  },
                },
              ).catch((e) => {
                if (!(t === 0 && e.name === 'integrity-mismatch')) throw e;
              });
            }),
          );
          bodies.forEach((body, t) => {
            for (let i = 0; i * CHUNK < body.length; i++) {
              const got = stored.get(`${t}:${i}`);
              if (t === 0 && i === corrupt) expect(got).toBeUndefined();
              else expect(Buffer.from(got!).equals(body.subarray(i * CHUNK, (i + 1) * CHUNK))).toBe(true);
            }
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});
