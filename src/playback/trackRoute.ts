import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { stallGuardedReader } from './stallGuardedReader.js';
import { planAnswer } from './planAnswer.js';
import { chunkNewsChannel } from './PlaybackReport.js';
import { readVerified } from './readVerified.js';
import { type ChunkNewsSource, broadcastChunkNews, statusForUnavailable, waitForChunk } from './waitForChunk.js';
import { type TrackSource, storeTrackSource } from './storeTrackSource.js';
import { waitForChunkList } from './waitForChunkList.js';
import type { ChunkReader } from './readVerified.js';
import { TRACK_PATH } from './trackPath.js';
import { sha256Base64Url } from '../util/sha256.js';
import { VerifiedChunkCache } from './VerifiedChunkCache.js';
import { readerPorts } from './ReaderPorts.js';
import { reportSender } from './reportSender.js';
import { READER_PORT_MESSAGE } from '../worker/lifecycleMessages.js';

export { TRACK_PATH };

import type { PlaybackReport } from './PlaybackReport.js';
import type { ManifestTrack } from '../manifest/types.js';

export type { PlaybackReport };

export interface TrackRouteOptions {
  /** The service worker's scope URL (default: `self.registration.scope`). */
  scope?: string;
  /** IndexedDB database name; the same as the page's `dbName`. Default "reprise". */
  dbName?: string;
  indexedDB?: IDBFactory;
  /** Where tracks come from; default the offline store named by `dbName` (tests pass a fake). */
  source?: TrackSource;
  /**
   * Where reports go (plays, corrupt chunks, tracks asked for but missing). Default: posted to
   * every window client as `{ type: 'reprise:playback', report }`; the page client forwards
   * them to the engine, the one writer.
   */
  report?: (report: PlaybackReport) => void;
  /** Bytes of verified chunks kept in memory for seeks back into them (default 4 MiB; 0: none). */
  verifiedCacheBytes?: number;
  /** Milliseconds clock for play reports (default `Date.now`). */
  now?: () => number;
  /**
   * How long an answer waits for a missing chunk the engine is fetching before it fails (504 before
   * the status line, an error in the body after). Default 30 s, the engine's `stallTimeoutMs`.
   */
  stallTimeoutMs?: number;
  /** Where news of stored chunks comes from (default the engine's BroadcastChannel `reprise:<dbName>:chunks`). */
  news?: ChunkNewsSource;
}

/** A play is reported at most once a minute per track (seeks make many range requests). */
const PLAY_REPORT_INTERVAL_MS = 60_000;

const plain = (status: number, text: string) =>
  new Response(`reprise: ${text}`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });

/** The answer when what it needs first cannot be had (docs/how-it-works.md "Playback URL" table). */
function failed(error: unknown): Response {
  if (!isRepriseError(error)) return plain(500, 'the track cannot be read');
  const e = error as RepriseError;
  return plain(e.name === 'integrity-mismatch' ? 502 : statusForUnavailable(e), e.message);
}

/** The content being served was re-published before the status line: answer again. */
const REPLACED = Symbol('replaced');

/**
 * Serves `trackUrl(id)` as an HTTP server would (RFC 9110; the table is docs/playback-url.md):
 * 200 whole, 206 for one `bytes=` range (reading only the chunks it touches, streamed), 416,
 * 304 and 412 by the validators (`ETag` = the quoted content id), 404 for a track it cannot
 * serve verified. Every chunk is checked against the manifest digest before a byte of it is
 * sent (security rule 5); the first one before the status line is, so a corrupt or missing head
 * answers 404 instead of a broken 200.
 */
export function createTrackRoute(options: TrackRouteOptions = {}) {
  let source = options.source;
  const theSource = () => (source ??= storeTrackSource(options.indexedDB ?? indexedDB, dbName));
  const verified = options.verifiedCacheBytes === 0 ? undefined : new VerifiedChunkCache(options.verifiedCacheBytes);
  const now = options.now ?? Date.now;
  const lastPlayReport = new Map<string, number>();
  const instance = Math.random().toString(36).slice(2, 10);
  let requests = 0;
  const dbName = options.dbName ?? 'reprise';
  // The engine's news comes on its BroadcastChannel and on the direct lines pages hand over.
  const ports = options.news ? undefined : readerPorts(dbName);
  const news = options.news ?? withPorts(broadcastChunkNews(chunkNewsChannel(dbName)), ports!);
  const timeoutMs = options.stallTimeoutMs ?? 30_000;
  // The engine saved a manifest: it is read and parsed now (after a reset that took 15–30 ms of
  // this thread, on the first play's path, with the news of that play waiting behind it).
  const warm = () => void theSource().lookup('').catch(() => {});
  news?.subscribe((n) => {
    if (n.type !== 'manifest') return;
    theSource().invalidate?.();
    warm();
  });

  const scopeUrl = () => new URL(options.scope ?? (globalThis as unknown as { registration: ServiceWorkerRegistration }).registration.scope);
  const { report, askForPorts } = reportSender({ dbName, ports, news, report: options.report });

  function trackIdOf(request: Request): string | undefined {
    const url = new URL(request.url);
    const prefix = new URL(TRACK_PATH, scopeUrl()).pathname;
    if (url.origin !== scopeUrl().origin || !url.pathname.startsWith(prefix)) return undefined;
    try {
      return decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      return undefined;
    }
  }

  async function handle(request: Request): Promise<Response> {
    const trackId = trackIdOf(request)!;
    // Shared by this request's reports: it tries a track that failed once, whichever report finds the failure.
    const asking = `${instance}:${++requests}`;
    askForPorts();
    // Told before the store is read (which waits behind the engine's writes): if the engine knows
    // the chunk at that byte is missing, its fetch runs while this answer is being prepared, and
    // the chunk it hands over meanwhile is kept for this answer.
    const from = firstByte(request);
    const handovers = from !== undefined && news ? listenForHandovers(news, verified) : undefined;
    if (from !== undefined) report({ type: 'wanted', trackId, byte: from, request: asking });
    // The player gave the answer up (the request's signal, or the body cancelled): its waits end.
    const gone = new AbortController();
    request.signal?.addEventListener('abort', () => gone.abort(), { once: true });
    try {
      // A re-publish before the status line: answered again, with the content now in force.
      let answered = await answer(request, trackId, handovers, asking, gone);
      if (answered === REPLACED) answered = await answer(request, trackId, handovers, asking, gone);
      return answered === REPLACED ? plain(503, `track "${trackId}" was re-published twice while it was being answered; ask again`) : answered;
    } finally {
      handovers?.stop();
    }
  }

  async function answer(request: Request, trackId: string, handovers: Handovers | undefined, asking: string, gone: AbortController): Promise<Response | typeof REPLACED> {
    const source = theSource();
    // The store is read, and the engine told of the request lists the track meanwhile: whichever
    // answers first (the store waits behind the resync's writes; no engine alive: only the store).
    const lookup = source.lookup(trackId);
    const fromEngine = source.fromEngine?.bind(source);
    let found = handovers && fromEngine ? await Promise.race([lookup, handovers.track(trackId).then((t) => fromEngine(t.track, t.contentId))]) : await lookup;
    if ('unavailable' in found && found.wanted) {
      // Format 2: the track's chunk list is not on the device yet; the engine fetches it first.
      report({ type: 'wanted', trackId, chunk: 0, request: asking });
      try {
        found = await waitForChunkList(trackId, { source, news, timeoutMs, pollMs: 100, signal: gone.signal });
      } catch (error) {
        return failed(error);
      }
    }
    if ('unavailable' in found) return plain(404, found.unavailable);
    const { track, contentId } = found;
    // The engine put a new manifest in force: is this content still the track's? (A store that
    // cannot be read says nothing: the wait goes on.)
    const replaced = async () => {
      const now = await theSource().lookup(trackId);
      return !('unreadable' in now && now.unreadable) && now.contentId !== contentId;
    };
    const reader = stallGuardedReader(found.reader);
    const etag = `"${found.contentId}"`;
    const plan = planAnswer(request, { size: track.size, etag });
    const headers = new Headers({ 'accept-ranges': 'bytes', 'cache-control': 'no-store' });
    // The validator goes with the representation (200, 206) and with 304 (§15.4.5), as nginx does.
    if (plan.status !== 412 && plan.status !== 416) headers.set('etag', etag);
    if (plan.status !== 200 && plan.status !== 206) {
      if (plan.status === 416) headers.set('content-range', `bytes */${track.size}`);
      return new Response(null, { status: plan.status, headers });
    }

    // Play while missing (docs/playback-url.md): a chunk not stored is asked of the engine, which
    // fetches it first and hands it over as it verifies; the answer goes on with it.
    const onMissing = (index: number, digest: string) =>
      waitForChunk(trackId, index, digest, { reader, news, timeoutMs, pollMs: 100, ask: () => report({ type: 'wanted', trackId, chunk: index, request: asking }), handed: handovers?.arrival(digest), signal: gone.signal, replaced });
    const chunks = readVerified(handovers ? handovers.racing(reader) : reader, track, plan.start, plan.end, (_index, digest) => report({ type: 'corrupt', trackId, digest }), verified, onMissing);
    let first: IteratorResult<Uint8Array>;
    try {
      first = await chunks.next();
    } catch (error) {
      return isRepriseError(error) && (error as RepriseError).details.replaced ? REPLACED : failed(error);
    }
    const at = now();
    if (plan.body && at - (lastPlayReport.get(trackId) ?? -Infinity) > PLAY_REPORT_INTERVAL_MS) {
      lastPlayReport.set(trackId, at);
      report({ type: 'played', trackId });
    }
    headers.set('content-type', track.mimeType);
    headers.set('content-length', String(plan.end - plan.start + 1));
    if (plan.status === 206) headers.set('content-range', `bytes ${plan.start}-${plan.end}/${track.size}`);
    if (!plan.body) {
      void chunks.return(undefined);
      return new Response(null, { status: plan.status, headers });
    }
    return new Response(streamOf(first.done ? undefined : first.value, chunks, () => gone.abort()), { status: plan.status, headers });
  }

  return {
    /** True for a GET or HEAD of a track URL under this scope. */
    matches(request: Request): boolean {
      return (request.method === 'GET' || request.method === 'HEAD') && trackIdOf(request) !== undefined;
    },
    handle,
    /** Takes a page's `reprise:reader-port` message (its port to the engine); true if it was one. */
    message(data: unknown, messagePorts: readonly MessagePort[]): boolean {
      const m = data as { type?: unknown; dbName?: unknown } | null;
      if (!ports || m?.type !== READER_PORT_MESSAGE || m.dbName !== dbName || !messagePorts[0]) return false;
      ports.add(messagePorts[0]);
      // A page opened reprise: the store's connection and the manifest in force are made ready
      // now, not when the first play waits for them (opening IndexedDB here took ~20 ms).
      warm();
      return true;
    },
    /** The verified chunks held for seeks (undefined when `verifiedCacheBytes` is 0). */
    verified,
  };
}

interface Handovers {
  /** Settles with the track as the engine lists it, if it answers the early `wanted` report. */
  track(trackId: string): Promise<{ track: ManifestTrack; contentId: string }>;
  /** Settles with the chunk's bytes once the engine handed them over and they matched the digest. */
  arrival(digest: string): Promise<ArrayBuffer>;
  /** The store's reader, except that a lone chunk handed over before the store answers is taken from the handover. */
  racing(reader: ChunkReader): ChunkReader;
  stop(): void;
}

/**
 * Chunks the engine hands over (`verified` news) while an answer is being prepared: each is
 * hashed, and kept (also in the verified cache) only if it matches the digest it came with. The
 * first chunk of an answer is read alone; a read that waits behind the engine's writes loses to
 * the handover of the same chunk.
 */
function listenForHandovers(news: ChunkNewsSource, verified: VerifiedChunkCache | undefined): Handovers {
  const arrival = awaited<ArrayBuffer>();
  type Listed = { track: ManifestTrack; contentId: string };
  const listed = awaited<Listed>();
  // Digests handed over and checked (or being checked): the same chunk on another line is not hashed again.
  const checked = new Set<string>();
  const stop = news.subscribe((n) => {
    if (n.type === 'track') listed(n.trackId).resolve({ track: n.track, contentId: n.contentId });
    if (n.type !== 'verified') return;
    for (const { digest, bytes } of n.chunks) {
      if (checked.has(digest)) continue;
      checked.add(digest);
      void sha256Base64Url(bytes).then((hash) => {
        if (hash !== digest) return void checked.delete(digest);
        verified?.put(digest, bytes);
        arrival(digest).resolve(bytes);
      }, () => {});
    }
  });
  return {
    track: (trackId) => listed(trackId).promise,
    arrival: (digest) => arrival(digest).promise,
    racing: (reader) => ({
      getChunks(digests) {
        const read = reader.getChunks(digests);
        if (digests.length !== 1) return read;
        return Promise.race([read, arrival(digests[0]!).promise.then((bytes) => [bytes])]);
      },
    }),
    stop,
  };
}

/**
 * The byte a GET's body starts at, when that is known without the track: no `Range` (0) or one
 * `bytes=N-…` range. Undefined for HEAD and for requests a validator may answer without a body.
 */
function firstByte(request: Request): number | undefined {
  if (request.method !== 'GET' || request.headers.has('if-none-match') || request.headers.has('if-match')) return undefined;
  const range = request.headers.get('range');
  if (range === null) return 0;
  const m = /^\s*bytes\s*=\s*(\d+)\s*-\s*\d*\s*$/i.exec(range);
  return m ? Number(m[1]) : undefined;
}

/**
 * The body: the first piece (already verified), then each next chunk when the player pulls it
 * (highWaterMark 0: nothing is read or hashed ahead). A later chunk that is missing or fails
 * ends the body with an error; none of its bytes are sent.
 */
function streamOf(first: Uint8Array | undefined, chunks: AsyncGenerator<Uint8Array>, onCancel: () => void): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error instanceof RepriseError ? error : new RepriseError('integrity-mismatch', String(error)));
        }
      },
      cancel() {
        onCancel(); // a wait for a missing chunk ends now, not at the stall bound
        void chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Adds the track route to a service worker: `registerTrackRoute()` in your own service worker
 * (after `importScripts` or a bundler import), or use the ready-made `reprise/service-worker`.
 */
export function registerTrackRoute(options: TrackRouteOptions = {}): void {
  const route = createTrackRoute(options);
  (globalThis as unknown as ServiceWorkerGlobalScope).addEventListener('fetch', (event: FetchEvent) => {
    if (route.matches(event.request)) event.respondWith(route.handle(event.request));
  });
  (globalThis as unknown as ServiceWorkerGlobalScope).addEventListener('message', (event: ExtendableMessageEvent) => void route.message(event.data, event.ports));
}


/** Promises by key that something settles later, whichever comes first: the wait or the news. */
function awaited<T>(): (key: string) => { promise: Promise<T>; resolve: (value: T) => void } {
  const entries = new Map<string, { promise: Promise<T>; resolve: (value: T) => void }>();
  return (key) => {
    let entry = entries.get(key);
    if (!entry) {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      entries.set(key, (entry = { promise, resolve }));
    }
    return entry;
  };
}

/** The engine's news from its BroadcastChannel and from the direct lines pages handed over; reports go on the channel. */
function withPorts(channel: ChunkNewsSource | undefined, ports: ReturnType<typeof readerPorts>): ChunkNewsSource {
  return {
    subscribe(listener) {
      const stops = [channel?.subscribe(listener), ports.subscribe(listener)];
      return () => stops.forEach((stop) => stop?.());
    },
    post: channel?.post ? (news) => channel.post!(news) : undefined,
  };
}
