import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VerifiedChunk } from '../../src/downloader/ChunkSink.js';
import { downloadTrack, type DownloadRequest } from '../../src/downloader/downloadTrack.js';
import { systemClock } from '../../src/util/clock.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

const body = bytesOf('song', CHUNK * 5 + 1234); // 6 chunks, the last one short
const digests = chunkDigests(body);

let origin: TestOrigin;
let stored: Map<number, Buffer>;

beforeEach(async () => {
  origin = await TestOrigin.start();
  origin.put('/song.mp3', body);
  stored = new Map();
});
afterEach(() => origin.close());

function request(missing: number[] = digests.map((_, i) => i)): DownloadRequest {
  return { trackId: 'song', url: `${origin.url}/song.mp3`, mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, digests, missing };
}

function run(missing?: number[], signal = new AbortController().signal) {
  return downloadTrack(request(missing), {
    fetch,
    clock: systemClock,
    signal,
    stallMs: 2000,
    throttle: async () => {},
    commit: async (chunks: VerifiedChunk[]) => {
      for (const c of chunks) {
        expect(c.digest).toBe(digests[c.index]); // one chunk, verbatim, under its own digest
        stored.set(c.index, Buffer.from(c.bytes));
      }
    },
  });
}

const expectStoredVerbatim = () => {
  for (const [i, bytes] of stored) expect(bytes.equals(body.subarray(i * CHUNK, (i + 1) * CHUNK))).toBe(true);
};

describe('downloadTrack', () => {
  it('fetches only the missing chunks, one Range request per run', async () => {
    await run([1, 2, 4]);
    expect([...stored.keys()].sort()).toEqual([1, 2, 4]);
    expect(origin.log.map((r) => r.range)).toEqual([`bytes=${CHUNK}-${3 * CHUNK - 1}`, `bytes=${4 * CHUNK}-${5 * CHUNK - 1}`]);
    expectStoredVerbatim();
  });

  it('copes with a server that answers 200 to a Range request (and asks only once)', async () => {
    origin.faults.push((req, res, file) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file!.length }).end(file);
      return true;
    });
    await run([2, 5]);
    expect([...stored.keys()].sort()).toEqual([2, 5]);
    expect(origin.log).toHaveLength(1);
    expectStoredVerbatim();
  });

  it('refuses a 206 whose Content-Range is not what was asked', async () => {
    origin.faults.push((req, res, file) => {
      res.writeHead(206, { 'content-range': `bytes ${CHUNK * 2}-${CHUNK * 3 - 1}/${file!.length}` }).end(file!.subarray(CHUNK * 2, CHUNK * 3));
      return true;
    });
    await expect(run([0])).rejects.toMatchObject({ name: 'network', details: { transient: true } });
    expect(stored.size).toBe(0);
  });

  it('keeps the whole chunks of a truncated body and reports it as transient', async () => {
    origin.faults.push((req, res, file) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file!.length });
      res.write(file!.subarray(0, CHUNK * 2 + 100), () => res.destroy()); // closes short of content-length
      return true;
    });
    const started = Date.now();
    const error = await run().catch((e) => e);
    // Reported as the connection closes, not after the 2 s stall bound (a retry comes sooner).
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ name: 'network', details: { transient: true } });
    expect([...stored.keys()].sort()).toEqual([0, 1]);
    expectStoredVerbatim();
  });

  it('keeps what arrived before a reset connection', async () => {
    origin.faults.push((req, res, file) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file!.length });
      res.write(file!.subarray(0, CHUNK * 3 + 10), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
      return true;
    });
    const started = Date.now();
    await expect(run()).rejects.toMatchObject({ name: 'network', details: { transient: true } });
    expect(Date.now() - started).toBeLessThan(1000); // as the connection resets, not after the stall bound
    expect([...stored.keys()].sort()).toEqual([0, 1, 2]);
  });

  it('refuses an HTML error page served with status 200', async () => {
    origin.faults.push((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><body>Please sign in to the Wi-Fi</body></html>');
      return true;
    });
    const error = await run().catch((e) => e);
    expect(error).toMatchObject({ name: 'network', details: { transient: true } });
    expect(error.message).toMatch(/HTML/);
    expect(stored.size).toBe(0);
  });

  it('does not store a chunk whose bytes do not match, and names the track and chunk', async () => {
    const bad = Buffer.from(body);
    bad.writeUInt8(bad.readUInt8(CHUNK * 3 + 7) ^ 0xff, CHUNK * 3 + 7);
    origin.put('/song.mp3', bad);
    const error = await run().catch((e) => e);
    expect(error).toMatchObject({ name: 'integrity-mismatch', details: { trackId: 'song', chunkIndex: 3 } });
    expect(error.message).toMatch(/track "song" chunk 3/);
    expect([...stored.keys()].sort()).toEqual([0, 1, 2, 4, 5]);
    expectStoredVerbatim();
  });

  it('aborts a stalled body and keeps what verified', async () => {
    origin.faults.push((req, res, file) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': file!.length });
      res.write(file!.subarray(0, CHUNK + 5)); // then nothing, connection kept open
      return true;
    });
    const started = Date.now();
    const error = await run().catch((e) => e);
    expect(error).toMatchObject({ name: 'network', details: { stalled: true } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect([...stored.keys()]).toEqual([0]);
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'not-found'],
    [410, 'not-found'],
  ])('ends on %i as %s (not transient)', async (status, code) => {
    origin.faults.push((req, res) => (res.writeHead(status).end(), true));
    const error = await run().catch((e) => e);
    expect(error.name).toBe(code);
    expect(error.details.transient).toBeUndefined();
  });

  it.each([408, 429, 500, 503])('treats %i as transient', async (status) => {
    origin.faults.push((req, res) => (res.writeHead(status, { 'retry-after': '7' }).end(), true));
    const error = await run().catch((e) => e);
    expect(error).toMatchObject({ name: 'network', details: { transient: true, status } });
    if (status === 429 || status === 503) expect(error.details.retryAfterMs).toBe(7000);
  });
});

describe('refused responses, redirects and 416 (docs/how-it-works.md "Throttled resync")', () => {
  const open = () => new Promise<number>((r) => setTimeout(() => r(origin.inFlight), 200)); // the origin saw the cancel

  it.each([
    ['a shifted Content-Range', (file: Buffer) => ({ status: 206, headers: { 'content-range': `bytes ${CHUNK}-${file.length - 1}/${file.length}` }, body: file.subarray(CHUNK) })],
    ['a 200 of the wrong length', (file: Buffer) => ({ status: 200, headers: { 'content-length': String(file.length + 7) }, body: Buffer.concat([file, Buffer.alloc(7)]) })],
  ])('a response refused for %s is cancelled at once: no request stays open at the origin', async (_what, answer) => {
    const big = bytesOf('big', 6 * 1024 * 1024);
    origin.put('/song.mp3', big);
    origin.faults.push((req, res, file) => {
      const a = answer(file!);
      res.writeHead(a.status, { 'content-type': 'audio/mpeg', ...a.headers });
      res.write(a.body); // a large body the client must not leave open
      return true;
    });
    const req = { ...request([0, 1]), size: big.length, digests: chunkDigests(big) };
    await expect(downloadTrack(req, { fetch, clock: systemClock, signal: new AbortController().signal, stallMs: 2000, throttle: async () => {}, commit: async () => {} })).rejects.toMatchObject({ details: { transient: true } });
    expect(await open()).toBe(0);
  });

  it('a redirect to an origin not allowed is cancelled unread: nothing stored, origin-not-allowed', async () => {
    const other = await TestOrigin.start();
    try {
      other.put('/song.mp3', body);
      origin.faults.push((req, res) => (res.writeHead(302, { location: `${other.url}/song.mp3` }).end(), true));
      const error = await downloadTrack(request(), {
        fetch,
        clock: systemClock,
        signal: new AbortController().signal,
        stallMs: 2000,
        allowedOrigins: new Set([origin.url]),
        throttle: async () => {},
        commit: async (chunks) => void chunks.forEach((c) => stored.set(c.index, Buffer.from(c.bytes))),
      }).catch((e) => e);
      expect(error).toMatchObject({ name: 'origin-not-allowed', details: { trackId: 'song' } });
      expect(error.details.transient).toBeUndefined();
      expect(stored.size).toBe(0);
      await new Promise((r) => setTimeout(r, 100));
      expect(other.inFlight).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('a redirect to an allowed origin is followed', async () => {
    const other = await TestOrigin.start();
    try {
      other.put('/song.mp3', body);
      origin.faults.push((req, res) => (res.writeHead(302, { location: `${other.url}/song.mp3` }).end(), true));
      await downloadTrack(request(), { fetch, clock: systemClock, signal: new AbortController().signal, stallMs: 2000, allowedOrigins: new Set([origin.url, other.url]), throttle: async () => {}, commit: async (chunks) => void chunks.forEach((c) => stored.set(c.index, Buffer.from(c.bytes))) });
      expect(stored.size).toBe(digests.length);
      expectStoredVerbatim();
    } finally {
      await other.close();
    }
  });

  it('a single 416 is transient: the engine retries and completes the track', async () => {
    let refused = 0;
    origin.faults.push((req, res, file) => (req.url!.startsWith('/media/') && refused++ === 0 ? (res.writeHead(416, { 'content-range': `bytes */${file!.length}` }).end(), true) : false));
    await publish(origin, { tracks: [{ id: 't1', body: bytesOf('t1', CHUNK * 3) }], playlists: [{ id: 'p', trackIds: ['t1'], offline: true }] });
    const engine = await openEngine(origin, { backoff: { baseMs: 10, capMs: 10, attempts: 6 } });
    try {
      const failed: unknown[] = [];
      engine.on('track-failed', (f) => failed.push(f));
      await engine.sync();
      await engine.idle();
      expect(failed).toEqual([]);
      expect(origin.requestsFor('/media/t1.mp3').length).toBeGreaterThanOrEqual(2);
      expect(origin.chunksAsked('/media/t1.mp3', CHUNK, 1)).toEqual([0, 1, 2]); // after the 416, each chunk once
      expect((await engine.status()).tracks[0]!.state).toBe('complete');
    } finally {
      await engine.close();
    }
  });
});

describe('resuming after an interruption (storage invariant 2)', () => {
  it('a new engine on the same store fetches no committed chunk again', async () => {
    const long = bytesOf('long', CHUNK * 40);
    await publish(origin, { tracks: [{ id: 'long', body: long }], playlists: [{ id: 'p', trackIds: ['long'], offline: true }] });
    origin.pace = { bytes: 16 * 1024, everyMs: 5 };
    const first = await openEngine(origin);
    let committed = 0;
    const stop = new Promise<void>((resolve) =>
      first.on('progress', (e) => {
        committed = e.bytesDone;
        if (e.bytesDone >= CHUNK * 17) resolve();
      }),
    );
    await first.sync();
    await stop;
    await first.close(); // the tab closes mid-track
    origin.pace = undefined;
    const peek = await openEngine(origin, { indexedDB: first.factory }); // what the store holds now
    const stored = (await peek.status()).tracks[0]!.bytesDone;
    await peek.close();
    const requestsBefore = origin.requestsFor('/media/long.mp3').length;
    const second = await openEngine(origin, { indexedDB: first.factory });
    await second.sync();
    await second.idle();
    // Two pieces were open when the tab closed: what verified is stored, whichever piece it came
    // in. The new engine asks for each chunk still missing once, and for none that is stored.
    const asked = origin.chunksAsked('/media/long.mp3', CHUNK, requestsBefore);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.length).toBeLessThanOrEqual(40 - committed / CHUNK);
    expect(asked.length * CHUNK).toBe(long.length - stored);
    expect(Buffer.from(await (await second.getTrack('long')).arrayBuffer()).equals(long)).toBe(true);
    await second.close();
  });
});
