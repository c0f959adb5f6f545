import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { composeVerified } from '../../../src/playback/composeVerified.js';

const CHUNK = 64 * 1024;
const BODY = Buffer.alloc(3 * CHUNK).map((_b, i) => (i * 13 + (i >> 9)) & 0xff);
const parts = [0, 1, 2].map((i) => BODY.subarray(i * CHUNK, (i + 1) * CHUNK));
const TRACK = { id: 't', size: BODY.length, chunkSize: CHUNK, mimeType: 'audio/wav', chunks: parts.map((p) => createHash('sha256').update(p).digest('base64url')) };

/** A stored Blob whose stream never delivers a byte (what Chromium did now and then); its arrayBuffer() works. */
class StalledStreamBlob extends Blob {
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return new ReadableStream({ type: 'bytes', pull: () => new Promise(() => {}) }) as never;
  }
}

/** Counts how each stored value is read; the chunk at `stallAt` never delivers its stream's first read. */
function countingValues(stallAt: number) {
  const reads = { streams: 0, arrayBuffers: 0 };
  class CountedBlob extends Blob {
    constructor(
      part: Uint8Array<ArrayBuffer>,
      private readonly stalls: boolean,
    ) {
      super([part]);
    }
    override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
      reads.streams++;
      return this.stalls ? (new ReadableStream({ type: 'bytes', pull: () => new Promise(() => {}) }) as never) : super.stream();
    }
    override arrayBuffer(): Promise<ArrayBuffer> {
      reads.arrayBuffers++;
      return super.arrayBuffer();
    }
  }
  // By position: chunks 0 and 2 of BODY are equal (one digest).
  const values = (ds: readonly string[]) => ds.map((d, k) => new CountedBlob(new Uint8Array(parts[TRACK.chunks.indexOf(d)]!), k === stallAt));
  return { reads, reader: { getChunkValues: async (ds: readonly string[]) => values(ds) } };
}

describe('composeVerified', () => {
  it('composes the track of its verified chunk values', async () => {
    const blob = await composeVerified({ getChunkValues: async (ds) => ds.map((d) => new Blob([parts[TRACK.chunks.indexOf(d)]!])) }, TRACK);
    expect(Buffer.from(await blob.arrayBuffer()).equals(BODY)).toBe(true);
    expect(blob.type).toBe('audio/wav');
  });

  it('a stored chunk whose stream read never settles is read another way: getTrack() does not hang', async () => {
    const blob = await composeVerified({ getChunkValues: async (ds) => ds.map((d) => new StalledStreamBlob([parts[TRACK.chunks.indexOf(d)]!])) }, TRACK, undefined, 100);
    expect(Buffer.from(await blob.arrayBuffer()).equals(BODY)).toBe(true);
  });

  it('after one stalled stream read, the next chunks are read by their streams again (memory stays flat): only the stalled one with arrayBuffer()', async () => {
    // Chromium's renderer keeps what arrayBuffer() reads: a 100 MB track read that way grew it by
    // 105–112 MB (a stall early in getTrack() used to switch every later chunk to it).
    const { reads, reader } = countingValues(0);
    const blob = await composeVerified(reader, TRACK, undefined, 100);
    expect(reads).toEqual({ streams: 3, arrayBuffers: 1 }); // fails on f7cc70d: { streams: 1, arrayBuffers: 3 }
    expect(Buffer.from(await blob.arrayBuffer()).equals(BODY)).toBe(true);
  });
});
