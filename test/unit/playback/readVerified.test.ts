import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import * as sha from '../../../src/util/sha256.js';
import { READ_BATCH, readVerified } from '../../../src/playback/readVerified.js';
import { VerifiedChunkCache } from '../../../src/playback/VerifiedChunkCache.js';

const CHUNK = 64 * 1024;
const COUNT = 12;
const BODY = randomBytes(COUNT * CHUNK);
const chunk = (i: number) => BODY.buffer.slice(BODY.byteOffset + i * CHUNK, BODY.byteOffset + (i + 1) * CHUNK);
const DIGESTS = Array.from({ length: COUNT }, (_x, i) => createHash('sha256').update(Buffer.from(chunk(i))).digest('base64url'));
const TRACK = { id: 't', size: BODY.length, chunkSize: CHUNK, chunks: DIGESTS };

function reader() {
  const batches: number[][] = [];
  return { batches, getChunks: async (ds: readonly string[]) => (batches.push(ds.map((d) => DIGESTS.indexOf(d))), ds.map((d) => chunk(DIGESTS.indexOf(d)))) };
}

async function collect(gen: AsyncGenerator<Uint8Array>) {
  const parts: Buffer[] = [];
  for await (const p of gen) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

describe('readVerified', () => {
  it('reads the first chunk alone, then batches, each touched chunk once, hashing each once', async () => {
    const r = reader();
    const hashes = vi.spyOn(sha, 'sha256Base64Url');
    const bytes = await collect(readVerified(r, TRACK, CHUNK + 5, 11 * CHUNK - 1));
    expect(bytes.equals(BODY.subarray(CHUNK + 5, 11 * CHUNK))).toBe(true);
    expect(r.batches).toEqual([[1], [2, 3, 4, 5, 6, 7, 8, 9].slice(0, READ_BATCH), [10]]);
    expect(hashes).toHaveBeenCalledTimes(10);
    hashes.mockRestore();
  });

  it('serves chunks held in the verified cache without reading or hashing them again', async () => {
    const r = reader();
    const cache = new VerifiedChunkCache(4 * CHUNK);
    await collect(readVerified(r, TRACK, 0, 2 * CHUNK - 1, undefined, cache));
    const hashes = vi.spyOn(sha, 'sha256Base64Url');
    const bytes = await collect(readVerified(r, TRACK, 100, 3 * CHUNK - 1, undefined, cache));
    expect(bytes.equals(BODY.subarray(100, 3 * CHUNK))).toBe(true);
    expect(r.batches).toEqual([[0], [1], [2]]);
    expect(hashes).toHaveBeenCalledTimes(1);
    hashes.mockRestore();
  });

  it('a damaged chunk is not cached and never yielded', async () => {
    const cache = new VerifiedChunkCache(4 * CHUNK);
    const damaged = chunk(0);
    new Uint8Array(damaged)[0]! ^= 0xff;
    const onCorrupt = vi.fn();
    const gen = readVerified({ getChunks: async () => [damaged] }, TRACK, 0, 10, onCorrupt, cache);
    await expect(gen.next()).rejects.toMatchObject({ name: 'integrity-mismatch' });
    expect(onCorrupt).toHaveBeenCalledWith(0, DIGESTS[0]);
    expect(cache.bytes).toBe(0);
  });
});
