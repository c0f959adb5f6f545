import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { contentIdOf } from '../../../src/manifest/contentId.js';
import type { TrackSource } from '../../../src/playback/storeTrackSource.js';
import type { ChunkNews } from '../../../src/playback/PlaybackReport.js';
import { type PlaybackReport, createTrackRoute } from '../../../src/playback/trackRoute.js';
import type { ChunkNewsSource } from '../../../src/playback/waitForChunk.js';
import { until } from '../../helpers/wait.js';

const CHUNK = 64 * 1024;
const SIZE = 3 * CHUNK + 1000; // three whole chunks and a short last one
const BODY = Buffer.alloc(SIZE, 0).map((_b, i) => (i * 7 + (i >> 11)) & 0xff);
const DIGESTS = [0, 1, 2, 3].map((i) => createHash('sha256').update(BODY.subarray(i * CHUNK, (i + 1) * CHUNK)).digest('base64url'));
const TRACK = { id: 'song.mp3', url: 'media/song.mp3', mimeType: 'audio/mpeg', size: SIZE, chunkSize: CHUNK, chunks: DIGESTS };
const SCOPE = 'https://app.test/';
const URL_ = `${SCOPE}__reprise__/track/song.mp3`;
const ETAG = `"${await contentIdOf(DIGESTS)}"`;

/** A fake store: chunks by digest (a test removes or damages some), counting chunk reads. */
function fakeStore() {
  const chunks = new Map(DIGESTS.map((d, i) => [d, BODY.buffer.slice(BODY.byteOffset + i * CHUNK, BODY.byteOffset + Math.min(SIZE, (i + 1) * CHUNK))]));
  const reads: number[] = [];
  const source: TrackSource = {
    async lookup(id) {
      if (id !== TRACK.id) return { unavailable: `no track "${id}"` };
      return {
        track: TRACK,
        contentId: ETAG.slice(1, -1),
        reader: { getChunks: async (digests) => digests.map((d) => (reads.push(DIGESTS.indexOf(d)), chunks.get(d))) },
      };
    },
  };
  return { chunks, reads, source };
}

/** The engine's side, faked: news of stored chunks, and what it does when a chunk is asked for. */
function fakeNews() {
  const listeners = new Set<(n: ChunkNews) => void>();
  const news: ChunkNewsSource = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { news, publish: (n: ChunkNews) => listeners.forEach((l) => l(n)), listening: () => listeners.size };
}

function setup(verifiedCacheBytes?: number, options: { stallTimeoutMs?: number; onReport?: (r: PlaybackReport) => void } = {}) {
  const store = fakeStore();
  const reports: PlaybackReport[] = [];
  const engine = fakeNews();
  let clock = 0;
  const route = createTrackRoute({
    scope: SCOPE,
    source: store.source,
    report: (r) => (reports.push(r), options.onReport?.(r)),
    verifiedCacheBytes,
    now: () => clock,
    news: engine.news,
    stallTimeoutMs: options.stallTimeoutMs ?? 2000,
  });
  return { ...store, reports, route, engine, advance: (ms: number) => (clock += ms) };
}

/** A chunk as the engine stores it once fetched: bytes back in the store, then the news. */
const original = (i: number) => BODY.buffer.slice(BODY.byteOffset + i * CHUNK, BODY.byteOffset + Math.min(SIZE, (i + 1) * CHUNK));

async function ask(route: ReturnType<typeof createTrackRoute>, headers: Record<string, string> = {}, method = 'GET', url = URL_) {
  const response = await route.handle(new Request(url, { method, headers }));
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body, header: (name: string) => response.headers.get(name) };
}

/** [Range, first byte, last byte, chunks read]. Chunk boundaries are at multiples of 65536. */
const ranges: [string, number, number, number[]][] = [
  ['bytes=0-0', 0, 0, [0]],
  ['bytes=0-65535', 0, CHUNK - 1, [0]],
  ['bytes=65535-65536', CHUNK - 1, CHUNK, [0, 1]],
  ['bytes=65536-131071', CHUNK, 2 * CHUNK - 1, [1]],
  ['bytes=100000-100099', 100000, 100099, [1]],
  ['bytes=131072-', 2 * CHUNK, SIZE - 1, [2, 3]],
  ['bytes=196608-', 3 * CHUNK, SIZE - 1, [3]],
  ['bytes=-1', SIZE - 1, SIZE - 1, [3]],
  ['bytes=-1000', 3 * CHUNK, SIZE - 1, [3]],
  ['bytes=-1001', 3 * CHUNK - 1, SIZE - 1, [2, 3]],
  ['bytes=-999999', 0, SIZE - 1, [0, 1, 2, 3]],
  ['Bytes=10-20', 10, 20, [0]],
  ['bytes=100-2000000', 100, SIZE - 1, [0, 1, 2, 3]],
];

describe('the track route, in Node against a fake store', () => {
  it.each(ranges)('%s → 206 with exactly those bytes, reading only the chunks it touches', async (range, start, end, read) => {
    const { route, reads } = setup(0);
    const { response, body, header } = await ask(route, { range });
    expect(response.status).toBe(206);
    expect(header('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(header('content-length')).toBe(String(end - start + 1));
    expect(header('etag')).toBe(ETAG);
    expect(header('accept-ranges')).toBe('bytes');
    expect(header('content-type')).toBe('audio/mpeg');
    expect(body.equals(BODY.subarray(start, end + 1))).toBe(true);
    expect(reads).toEqual(read);
  });

  it('no Range: 200 with the whole track and its validators', async () => {
    const { route } = setup();
    const { response, body, header } = await ask(route);
    expect(response.status).toBe(200);
    expect(body.equals(BODY)).toBe(true);
    expect([header('content-length'), header('content-range'), header('etag')]).toEqual([String(SIZE), null, ETAG]);
  });

  it.each([
    ['several ranges', { range: 'bytes=0-9,100-109' }, 'GET', 200],
    ['unknown unit', { range: 'items=0-9' }, 'GET', 200],
    ['malformed', { range: 'bytes=x-y' }, 'GET', 200],
    ['If-Range with another tag', { range: 'bytes=0-9', 'if-range': '"old"' }, 'GET', 200],
    ['HEAD with Range', { range: 'bytes=0-9' }, 'HEAD', 200],
  ] as const)('%s → the whole track (%s)', async (_what, headers, method, status) => {
    const { route } = setup();
    const { response, body, header } = await ask(route, headers, method);
    expect(response.status).toBe(status);
    expect(header('content-length')).toBe(String(SIZE));
    expect(header('content-range')).toBeNull();
    expect(header('etag')).toBe(ETAG);
    expect(body.equals(method === 'HEAD' ? Buffer.alloc(0) : BODY)).toBe(true);
  });

  it.each([
    ['bytes=999999-', {}, 416, `bytes */${SIZE}`],
    ['bytes=-0', {}, 416, `bytes */${SIZE}`],
    [undefined, { 'if-none-match': ETAG }, 304, null],
    [undefined, { 'if-none-match': '*' }, 304, null],
    ['bytes=0-9', { 'if-none-match': `"x", ${ETAG}` }, 304, null],
    [undefined, { 'if-match': '"x"' }, 412, null],
  ] as const)('Range %s with %o → %i and no body, no chunk read', async (range, conditions, status, contentRange) => {
    const { route, reads } = setup();
    const { response, body, header } = await ask(route, { ...(range ? { range } : {}), ...conditions });
    expect(response.status).toBe(status);
    expect(header('content-range')).toBe(contentRange);
    // ETag on 304 (§15.4.5), none on 412 and 416, as nginx.
    expect(header('etag')).toBe(status === 304 ? ETAG : null);
    expect(body.length).toBe(0);
    expect(reads).toEqual([]);
  });

  it('HEAD: the headers of the GET, no body; it checks the head chunk only', async () => {
    const { route, reads, reports } = setup(0);
    const { response, body, header } = await ask(route, {}, 'HEAD');
    expect([response.status, header('content-length'), header('content-type'), body.length]).toEqual([200, String(SIZE), 'audio/mpeg', 0]);
    expect(reads).toEqual([0]);
    expect(reports).toEqual([]); // no play: a HEAD plays nothing (play history orders downloads and eviction)
  });

  it('a chunk the range needs is missing: asked for at once, served once the engine stored it (play while missing)', async () => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      onReport: (r) => {
        if (r.type !== 'wanted') return;
        // The engine fetches it first, stores it, and says so.
        setTimeout(() => (store.chunks.set(DIGESTS[1]!, original(1)), store.engine.publish({ type: 'stored', digests: [DIGESTS[1]!] })), 20);
      },
    });
    store.chunks.delete(DIGESTS[1]!);
    const { response, body } = await ask(store.route, { range: 'bytes=70000-70009' });
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(70000, 70010))).toBe(true);
    // First the byte the request starts at (before the store was read), then the chunk found missing.
    const wanted = store.reports.filter((r) => r.type === 'wanted');
    expect(wanted).toEqual([
      { type: 'wanted', trackId: TRACK.id, byte: 70000, request: expect.any(String) },
      { type: 'wanted', trackId: TRACK.id, chunk: 1, request: expect.any(String) },
    ]);
    // One request, one name: the engine tries a failed track once for it, whichever report finds the failure.
    expect(wanted[1]!.request).toBe(wanted[0]!.request);
    expect(store.engine.listening()).toBe(1); // stopped listening once it arrived (the one left: the route's, for `manifest` news)
  });

  it('a later chunk missing: the body waits for it and goes on, every byte verified', async () => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      onReport: (r) => r.type === 'wanted' && r.chunk === 2 && setTimeout(() => (store.chunks.set(DIGESTS[2]!, original(2)), store.engine.publish({ type: 'stored', digests: [DIGESTS[2]!] })), 20),
    });
    store.chunks.delete(DIGESTS[2]!);
    const response = await store.route.handle(new Request(URL_));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(BODY)).toBe(true);
  });

  it.each([
    ['offline: nothing arrives within stallTimeoutMs', undefined, 504],
    ['the engine says the origin has no such file', { code: 'not-found', message: 'the origin answered 404' }, 404],
    ['the engine says the origin is not allowed', { code: 'origin-not-allowed', message: 'redirected elsewhere' }, 403],
    ['the engine says the bytes never verify', { code: 'integrity-mismatch', message: 'failed three times' }, 502],
    ['the engine says it needs authorization', { code: 'unauthorized', message: 'paused: unauthorized' }, 401],
  ] as const)('the first chunk cannot be had — %s → %i, never a hang', async (_what, unavailable, status) => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      stallTimeoutMs: 150,
      onReport: (r) => r.type === 'wanted' && unavailable && setTimeout(() => store.engine.publish({ type: 'unavailable', trackId: TRACK.id, ...unavailable }), 10),
    });
    store.chunks.delete(DIGESTS[0]!);
    const started = Date.now();
    const { response } = await ask(store.route, { range: 'bytes=0-9' });
    expect(response.status).toBe(status);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a later chunk that cannot be had ends the body with an error after the verified bytes', async () => {
    const { route, chunks } = setup(undefined, { stallTimeoutMs: 100 });
    chunks.delete(DIGESTS[2]!);
    const response = await route.handle(new Request(URL_));
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow(/chunk 2 is not on the device and did not arrive within 100 ms/);
  });

  it('a damaged chunk is never served: reported corrupt, then served once a verified copy is stored', async () => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      onReport: (r) => {
        if (r.type === 'corrupt') store.chunks.delete(r.digest); // the engine holds it back
        if (r.type === 'wanted' && r.chunk === 0) setTimeout(() => (store.chunks.set(DIGESTS[0]!, original(0)), store.engine.publish({ type: 'stored', digests: [DIGESTS[0]!] })), 20);
      },
    });
    const damaged = store.chunks.get(DIGESTS[0]!)!.slice(0);
    new Uint8Array(damaged)[5]! ^= 1;
    store.chunks.set(DIGESTS[0]!, damaged);
    const { response, body } = await ask(store.route, { range: 'bytes=0-9' });
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(0, 10))).toBe(true);
    expect(store.reports.slice(0, 3)).toEqual([
      { type: 'wanted', trackId: TRACK.id, byte: 0, request: expect.any(String) }, // as the request arrived: the engine thinks it holds that chunk
      { type: 'corrupt', trackId: TRACK.id, digest: DIGESTS[0] },
      { type: 'wanted', trackId: TRACK.id, chunk: 0, request: expect.any(String) },
    ]);
  });

  it('a missing chunk the engine hands over as it verifies is served from those bytes: no read back, no wait for the write', async () => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      onReport: (r) => {
        // Verified and being written: the bytes come with the news; the store has nothing yet.
        if (r.type === 'wanted' && r.chunk === 1) setTimeout(() => store.engine.publish({ type: 'verified', chunks: [{ digest: DIGESTS[1]!, bytes: original(1) }] }), 20);
      },
    });
    store.chunks.delete(DIGESTS[1]!);
    const { response, body } = await ask(store.route, { range: 'bytes=70000-70009' });
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(70000, 70010))).toBe(true);
    expect(store.reads).toEqual([1]); // found missing once, never read back
    expect(store.route.verified?.get(DIGESTS[1]!)?.byteLength).toBe(CHUNK); // held for seeks back into it
    expect(store.engine.listening()).toBe(1); // the route's own, for `manifest` news
  });

  it('handed-over bytes that do not match the digest are never served: the answer waits for the stored chunk', async () => {
    let store!: ReturnType<typeof setup>;
    store = setup(undefined, {
      onReport: (r) => {
        if (r.type !== 'wanted' || r.chunk !== 1) return;
        const forged = original(1).slice(0);
        new Uint8Array(forged)[3]! ^= 1;
        setTimeout(() => store.engine.publish({ type: 'verified', chunks: [{ digest: DIGESTS[1]!, bytes: forged }] }), 10);
        setTimeout(() => (store.chunks.set(DIGESTS[1]!, original(1)), store.engine.publish({ type: 'stored', digests: [DIGESTS[1]!] })), 60);
      },
    });
    store.chunks.delete(DIGESTS[1]!);
    const { response, body } = await ask(store.route, { range: 'bytes=65536-65545' });
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(65536, 65546))).toBe(true);
    expect(store.reads).toEqual([1, 1]); // read back once stored
  });

  it('tells the engine the byte a request starts at before it reads the store; not for HEAD or a request a validator may answer', async () => {
    const store = fakeStore();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const reports: PlaybackReport[] = [];
    const route = createTrackRoute({
      scope: SCOPE,
      source: { lookup: async (id) => (await gate, store.source.lookup(id)) },
      report: (r) => void reports.push(r),
      verifiedCacheBytes: 0,
      news: fakeNews().news,
    });
    const answers = [
      route.handle(new Request(URL_, { headers: { range: 'bytes=70000-' } })),
      route.handle(new Request(URL_)),
      route.handle(new Request(URL_, { method: 'HEAD' })),
      route.handle(new Request(URL_, { headers: { 'if-none-match': ETAG } })),
      route.handle(new Request(URL_, { headers: { range: 'bytes=0-9,20-29' } })),
    ];
    await new Promise((r) => setTimeout(r, 10));
    expect(store.reads).toEqual([]); // the store is not read yet
    expect(reports).toEqual([
      { type: 'wanted', trackId: TRACK.id, byte: 70000, request: expect.any(String) },
      { type: 'wanted', trackId: TRACK.id, byte: 0, request: expect.any(String) },
    ]);
    expect(reports[1]!.request).not.toBe(reports[0]!.request); // two requests, two names
    open();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([206, 200, 200, 304, 200]);
  });

  it('a chunk handed over while the store is still being looked up is kept for the answer: served without reading the store', async () => {
    const store = fakeStore();
    store.chunks.delete(DIGESTS[0]!);
    const engine = fakeNews();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const route = createTrackRoute({
      scope: SCOPE,
      source: { lookup: async (id) => (await gate, store.source.lookup(id)) },
      // The engine is told the first byte before the lookup; it fetches chunk 0 and hands it over at once.
      report: (r) => {
        if (r.type === 'wanted' && r.byte === 0) engine.publish({ type: 'verified', chunks: [{ digest: DIGESTS[0]!, bytes: original(0) }] });
      },
      news: engine.news,
      stallTimeoutMs: 300,
    });
    const answer = ask(route, { range: 'bytes=0-9' });
    await until(() => route.verified?.get(DIGESTS[0]!) !== undefined, 2000, 'the handover checked'); // while the lookup still waits
    open();
    const { response, body } = await answer;
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(0, 10))).toBe(true);
    expect(store.reads).toEqual([]); // the verified cache had it: no read, no wait for the write
    expect(engine.listening()).toBe(1); // the route's own, for `manifest` news
  });

  it('a read of the first chunk stuck behind the engine\'s writes loses to the handover of that chunk', async () => {
    const store = fakeStore();
    store.chunks.delete(DIGESTS[0]!);
    const engine = fakeNews();
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const route = createTrackRoute({
      scope: SCOPE,
      source: {
        async lookup(id) {
          const found = await store.source.lookup(id);
          if ('unavailable' in found) return found;
          // The store answers only once the engine's write transaction is done.
          return { ...found, reader: { getChunks: async (digests) => (await blocked, found.reader.getChunks(digests)) } };
        },
      },
      report: (r) => {
        if (r.type === 'wanted' && r.byte === 0) setTimeout(() => engine.publish({ type: 'verified', chunks: [{ digest: DIGESTS[0]!, bytes: original(0) }] }), 30);
      },
      news: engine.news,
      stallTimeoutMs: 2000,
    });
    const answer = ask(route, { range: 'bytes=0-9' });
    const first = await Promise.race([answer, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 1000))]);
    unblock();
    expect(first).not.toBe('stuck');
    const { response, body } = await answer;
    expect(response.status).toBe(206);
    expect(body.equals(BODY.subarray(0, 10))).toBe(true);
  });

  it("the engine's manifest news: the route reads the manifest in force at once, so the next play does not parse it", async () => {
    const store = fakeStore();
    const engine = fakeNews();
    const looked: string[] = [];
    createTrackRoute({ scope: SCOPE, source: { lookup: (id) => (looked.push(id), store.source.lookup(id)), invalidate: () => void looked.push('(invalidated)') }, report: () => {}, news: engine.news });
    expect(looked).toEqual([]);
    engine.publish({ type: 'stored', digests: [DIGESTS[0]!] });
    expect(looked).toEqual([]); // other news: nothing read
    engine.publish({ type: 'manifest' });
    expect(looked).toEqual(['(invalidated)', '']); // the one read before is dropped, the new one read now
  });

  it('a store lookup stuck behind the engine\'s writes loses to the engine listing the track: answered, every byte verified, a forged byte never served', async () => {
    const store = fakeStore();
    const engine = fakeNews();
    const reader = { getChunks: async (digests: readonly string[]) => digests.map((d) => (store.reads.push(DIGESTS.indexOf(d)), store.chunks.get(d))) };
    const route = createTrackRoute({
      scope: SCOPE,
      source: {
        lookup: () => new Promise(() => {}), // the store never answers within this test
        fromEngine: async (track, contentId) => ({ track, contentId, reader }),
      },
      report: (r) => {
        if (r.type === 'wanted' && r.byte !== undefined) setTimeout(() => engine.publish({ type: 'track', trackId: TRACK.id, contentId: ETAG.slice(1, -1), track: TRACK }), 5);
      },
      news: engine.news,
      stallTimeoutMs: 300,
      verifiedCacheBytes: 0,
    });
    const whole = await ask(route);
    expect(whole.response.status).toBe(200);
    expect(whole.header('etag')).toBe(ETAG);
    expect(whole.body.equals(BODY)).toBe(true);
    // The listing names the digests; a stored chunk that does not match them is not served.
    store.chunks.set(DIGESTS[1]!, new ArrayBuffer(CHUNK));
    const damaged = await ask(route, { range: `bytes=${CHUNK}-${CHUNK + 9}` });
    expect(damaged.response.status).not.toBe(206);
    expect(engine.listening()).toBe(1); // the route's own, for `manifest` news
  });

  it('a page\'s direct line to the engine (reprise:reader-port): the report goes on the line, the chunk handed over on it is served', async () => {
    const store = fakeStore();
    store.chunks.delete(DIGESTS[0]!);
    const route = createTrackRoute({ scope: SCOPE, source: store.source, dbName: 'lines', stallTimeoutMs: 2000 });
    const line = new MessageChannel();
    expect(route.message({ type: 'reprise:reader-port', dbName: 'other' }, [line.port2])).toBe(false);
    expect(route.message({ type: 'reprise:reader-port', dbName: 'lines' }, [line.port2])).toBe(true);
    // The engine: hears the report on the line, answers on the line.
    const reports: PlaybackReport[] = [];
    line.port1.onmessage = (e: MessageEvent<ChunkNews>) => {
      if (e.data.type !== 'report') return;
      reports.push(e.data.report);
      if (e.data.report.type === 'wanted') line.port1.postMessage({ type: 'verified', chunks: [{ digest: DIGESTS[0]!, bytes: original(0) }] } satisfies ChunkNews);
    };
    // Nothing goes on the channel while there is a line.
    const channel = new BroadcastChannel('reprise:lines:chunks');
    const onChannel: ChunkNews[] = [];
    channel.onmessage = (e: MessageEvent<ChunkNews>) => onChannel.push(e.data);
    try {
      const { response, body } = await ask(route, { range: 'bytes=0-9' });
      expect(response.status).toBe(206);
      expect(body.equals(BODY.subarray(0, 10))).toBe(true);
      expect(reports[0]).toEqual({ type: 'wanted', trackId: TRACK.id, byte: 0, id: expect.any(String), request: expect.any(String) });
      await new Promise((r) => setTimeout(r, 20));
      expect(onChannel).toEqual([]);
    } finally {
      channel.close();
      line.port1.close();
      line.port2.close();
    }
  });

  it('a read of stored chunks that never settles (a browser read of a stored Blob can stall) is made again: the answer completes, whole and exact', async () => {
    const store = fakeStore();
    let reads = 0;
    const inner = ((await store.source.lookup(TRACK.id)) as { reader: { getChunks(d: readonly string[]): Promise<(ArrayBuffer | undefined)[]> } }).reader;
    const stalling: TrackSource = {
      async lookup(id) {
        const found = await store.source.lookup(id);
        if ('unavailable' in found) return found;
        // The second read of the answer never settles; asked again, it answers.
        return { ...found, reader: { getChunks: (digests) => (++reads === 2 ? new Promise(() => {}) : inner.getChunks(digests)) } };
      },
    };
    const route = createTrackRoute({ scope: SCOPE, source: stalling, report: () => {}, verifiedCacheBytes: 0 });
    const { response, body } = await ask(route);
    expect(response.status).toBe(200);
    expect(body.equals(BODY)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(3);
  }, 8000);

  it('a page handing over its line makes the store ready (looked up once) before the first play needs it', async () => {
    const store = fakeStore();
    let lookups = 0;
    const route = createTrackRoute({ scope: SCOPE, source: { lookup: (id) => (lookups++, store.source.lookup(id)) }, dbName: 'warm' });
    const line = new MessageChannel();
    expect(route.message({ type: 'reprise:reader-port', dbName: 'warm' }, [line.port2])).toBe(true);
    expect(lookups).toBe(1);
    line.port1.close();
    line.port2.close();
  });

  it('reports reach the pages it knows at once, without waiting for the browser\'s list of windows; a new page gets each report once', async () => {
    const got: { a: unknown[]; b: unknown[] } = { a: [], b: [] };
    const page = (id: string) => ({ id, postMessage: (m: { report: unknown }) => void got[id as 'a' | 'b'].push(m.report) }) as unknown as Client;
    let windows = [page('a')];
    const lists: ((list: Client[]) => void)[] = [];
    vi.stubGlobal('clients', { matchAll: () => new Promise<Client[]>((resolve) => lists.push(resolve)) });
    try {
      const store = fakeStore();
      const route = createTrackRoute({ scope: SCOPE, source: store.source, verifiedCacheBytes: 0, news: fakeNews().news });
      lists.shift()!(windows); // the list asked for when the route was made
      await new Promise((r) => setTimeout(r, 0));
      const answer = route.handle(new Request(URL_, { headers: { range: 'bytes=0-9' } }));
      expect(got.a).toEqual([{ type: 'wanted', trackId: TRACK.id, byte: 0, id: expect.any(String), request: expect.any(String) }]); // before the browser answered
      windows = [page('a'), page('b')];
      while (lists.length) lists.shift()!(windows);
      await answer;
      while (lists.length) lists.shift()!(windows);
      await new Promise((r) => setTimeout(r, 0));
      expect(got.a).toEqual([{ type: 'wanted', trackId: TRACK.id, byte: 0, id: expect.any(String), request: expect.any(String) }, { type: 'played', trackId: TRACK.id, id: expect.any(String) }]);
      // The copies of one report share its id (the engine acts on it once); each report has its own.
      expect(got.b).toEqual(got.a);
      expect(new Set(got.a.map((r) => (r as { id: string }).id)).size).toBe(2);
      // The same request made again (a listener pressing play again) is a new report.
      await route.handle(new Request(URL_, { headers: { range: 'bytes=0-9' } }));
      while (lists.length) lists.shift()!(windows);
      const again = got.a[2] as { type: string; byte: number; id: string };
      expect(again).toMatchObject({ type: 'wanted', byte: 0 });
      expect(again.id).not.toBe((got.a[0] as { id: string }).id);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a track not in the manifest in force: 404', async () => {
    const { route } = setup();
    const { response, body } = await ask(route, {}, 'GET', `${SCOPE}__reprise__/track/other`);
    expect(response.status).toBe(404);
    expect(body.toString()).toMatch(/no track "other"/);
  });

  it('a seek back into a verified chunk reads it from the verified cache, not the store', async () => {
    const { route, reads } = setup();
    await ask(route, { range: 'bytes=70000-70099' });
    await ask(route, { range: 'bytes=80000-80099' });
    const again = await ask(route, { range: 'bytes=65536-65545' });
    expect(again.body.equals(BODY.subarray(65536, 65546))).toBe(true);
    expect(reads).toEqual([1]);
  });

  it('reports a play at most once a minute per track (injected clock)', async () => {
    const { route, reports, advance } = setup();
    await ask(route, { range: 'bytes=0-9' });
    await ask(route, { range: 'bytes=10-19' });
    advance(60_001);
    await ask(route, { range: 'bytes=20-29' });
    expect(reports.filter((r) => r.type === 'played')).toEqual([{ type: 'played', trackId: TRACK.id }, { type: 'played', trackId: TRACK.id }]);
  });

  it('matches GET and HEAD of track URLs under its scope only', () => {
    const { route } = setup();
    expect(route.matches(new Request(URL_))).toBe(true);
    expect(route.matches(new Request(URL_, { method: 'HEAD' }))).toBe(true);
    expect(route.matches(new Request(URL_, { method: 'POST' }))).toBe(false);
    expect(route.matches(new Request('https://other.test/__reprise__/track/song.mp3'))).toBe(false);
    expect(route.matches(new Request(`${SCOPE}media/song.mp3`))).toBe(false);
  });
});

describe('an answer never outlives what it waits for', () => {
  const wantedChunk = (s: ReturnType<typeof setup>, chunk: number) => until(() => s.reports.some((r) => r.type === 'wanted' && r.chunk === chunk), 2000, `chunk ${chunk} asked for`);

  it('a body the player cancels while its next chunk is fetched stops waiting at once: no more store reads, no listener left', async () => {
    const s = setup(0, { stallTimeoutMs: 30_000 });
    s.chunks.delete(DIGESTS[1]!);
    const listening = s.engine.listening();
    const response = await s.route.handle(new Request(URL_));
    const reader = response.body!.getReader();
    await reader.read(); // chunk 0
    const pending = reader.read(); // chunk 1: missing, asked of the engine, the store polled meanwhile
    await wantedChunk(s, 1);
    await reader.cancel();
    await pending;
    await until(() => s.engine.listening() === listening, 1000, 'the wait unsubscribed');
    const reads = s.reads.length;
    await new Promise((r) => setTimeout(r, 350)); // three of the store polls' periods
    expect(s.reads.length).toBe(reads);
  });

  it('a request the player aborts before the status line stops waiting for its first chunk', async () => {
    const s = setup(0, { stallTimeoutMs: 30_000 });
    s.chunks.delete(DIGESTS[0]!);
    const listening = s.engine.listening();
    const abort = new AbortController();
    const answered = s.route.handle(new Request(URL_, { signal: abort.signal }));
    await wantedChunk(s, 0);
    abort.abort();
    const started = Date.now();
    await answered;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.engine.listening()).toBe(listening);
  });

  it.each([
    ['not-found', 404],
    ['unauthorized', 401],
    ['origin-not-allowed', 403],
  ])('format 2, the chunk list not on the device yet: the engine saying %s answers %i at once, not 504 at the stall bound', async (code, status) => {
    const s = setup(0, {
      stallTimeoutMs: 30_000,
      onReport: (r) => r.type === 'wanted' && r.chunk === 0 && setTimeout(() => s.engine.publish({ type: 'unavailable', trackId: TRACK.id, code, message: `the engine: ${code}` }), 10),
    });
    s.source.lookup = async () => ({ unavailable: `the chunk list of track "${TRACK.id}" is not on the device yet`, wanted: true, contentId: ETAG.slice(1, -1) });
    const started = Date.now();
    const { response, body } = await ask(s.route);
    expect([response.status, body.toString()]).toEqual([status, `reprise: the engine: ${code}`]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  /** The track re-published: other bytes, all stored, under a new content id. */
  async function republish(s: ReturnType<typeof setup>) {
    const body = Buffer.from(BODY).reverse();
    const digests = [0, 1, 2, 3].map((i) => createHash('sha256').update(body.subarray(i * CHUNK, (i + 1) * CHUNK)).digest('base64url'));
    const contentId = await contentIdOf(digests);
    const chunks = new Map(digests.map((d, i) => [d, body.buffer.slice(body.byteOffset + i * CHUNK, body.byteOffset + Math.min(SIZE, (i + 1) * CHUNK))]));
    s.source.lookup = async () => ({ track: { ...TRACK, chunks: digests }, contentId, reader: { getChunks: async (ds) => ds.map((d) => chunks.get(d)) } });
    s.engine.publish({ type: 'manifest' });
    return { body, etag: `"${contentId}"` };
  }

  it('a re-publish while a body waits for a chunk of the old content ends that body at once (the chunk will not come), not at the stall bound', async () => {
    const s = setup(0, { stallTimeoutMs: 30_000 });
    s.chunks.delete(DIGESTS[2]!);
    const response = await s.route.handle(new Request(URL_));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read(); // chunks 0 and 1
    const pending = reader.read();
    await wantedChunk(s, 2);
    const started = Date.now();
    await republish(s);
    await expect(pending).rejects.toMatchObject({ name: 'not-cached', details: { replaced: true } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a re-publish before the status line is answered with the content now in force', async () => {
    let s!: ReturnType<typeof setup>;
    let now: Promise<{ body: Buffer; etag: string }> | undefined;
    s = setup(0, { stallTimeoutMs: 30_000, onReport: (r) => void (r.type === 'wanted' && r.chunk === 0 && (now ??= republish(s))) });
    s.chunks.delete(DIGESTS[0]!);
    const { response, body, header } = await ask(s.route);
    const { body: published, etag } = await now!;
    expect([response.status, header('etag'), body.equals(published)]).toEqual([200, etag, true]);
  });
});
