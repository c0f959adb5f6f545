import rangeParser from 'range-parser';
import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { type Manifest, manifestSchema } from '../manifest/schema.js';
import { fromBase64Url } from '../util/base64url.js';
import { openStore } from '../store/openStore.js';
import { Store } from '../store/Store.js';
import { readVerified } from './readVerified.js';

import { TRACK_PATH } from './trackPath.js';

export { TRACK_PATH };

export type PlaybackReport = { type: 'played' | 'wanted'; trackId: string } | { type: 'corrupt'; trackId: string; digest: string };

export interface TrackRouteOptions {
  /** The service worker's scope URL (default: `self.registration.scope`). */
  scope?: string;
  /** IndexedDB database name; the same as the page's `dbName`. Default "reprise". */
  dbName?: string;
  indexedDB?: IDBFactory;
  /**
   * Where reports go (plays, corrupt chunks, tracks asked for but missing). Default: posted to
   * every window client as `{ type: 'reprise:playback', report }`; the page client forwards
   * them to the engine, the one writer.
   */
  report?: (report: PlaybackReport) => void;
}

/** A play is reported at most once a minute per track (seeks make many range requests). */
const PLAY_REPORT_INTERVAL_MS = 60_000;

/**
 * Serves `trackUrl(id)` from the store: 200 with the whole track, 206 for one `bytes=` range
 * (reading only the chunks it touches, streamed), 416 for an unsatisfiable range, 404 for a
 * track it cannot serve verified. Every chunk is checked against the manifest digest before a
 * byte of it is sent (security rule 5); the first ones before the status line is, so a corrupt
 * head answers 404 instead of a broken 200.
 */
export function createTrackRoute(options: TrackRouteOptions = {}) {
  const dbName = options.dbName ?? 'reprise';
  let store: Promise<Store> | undefined;
  let parsed: { jws: string; manifest: Manifest; tracks: Map<string, Manifest['tracks'][number]> } | undefined;
  const lastPlayReport = new Map<string, number>();

  const scopeUrl = () => new URL(options.scope ?? (globalThis as unknown as { registration: ServiceWorkerRegistration }).registration.scope);
  const report = (r: PlaybackReport) => {
    if (options.report) return options.report(r);
    const clients = (globalThis as unknown as { clients?: Clients }).clients;
    void clients?.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => list.forEach((c) => c.postMessage({ type: 'reprise:playback', report: r })));
  };

  const getStore = () => {
    store ??= openStore(options.indexedDB ?? indexedDB, dbName).then(({ db }) => {
      db.addEventListener('close', () => (store = undefined));
      db.addEventListener('versionchange', () => (store = undefined));
      return new Store(db);
    });
    return store;
  };

  /** The manifest the engine accepted (and verified), parsed once per version of it. */
  async function manifestInForce(s: Store) {
    const meta = await s.readMeta();
    if (!meta.manifest || meta.manifestTrusted === false) return undefined;
    if (parsed?.jws !== meta.manifest.jws) {
      const payload = JSON.parse(new TextDecoder().decode(fromBase64Url(meta.manifest.jws.split('.')[1] ?? '')));
      const manifest = manifestSchema().parse(payload);
      parsed = { jws: meta.manifest.jws, manifest, tracks: new Map(manifest.tracks.map((t) => [t.id, t])) };
    }
    return parsed;
  }

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
    const notFound = (why: string) => new Response(`reprise: ${why}`, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
    let s: Store;
    let inForce: Awaited<ReturnType<typeof manifestInForce>>;
    try {
      s = await getStore();
      inForce = await manifestInForce(s);
    } catch {
      return notFound('the offline store cannot be read');
    }
    if (!inForce) return notFound('no trusted manifest on this device');
    const track = inForce.tracks.get(trackId);
    if (!track) return notFound(`no track "${trackId}" in the manifest in force`);

    const size = track.size;
    const rangeHeader = request.headers.get('range');
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (rangeHeader) {
      const ranges = rangeParser(size, rangeHeader, { combine: true });
      if (ranges === -1) {
        return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' } });
      }
      // -2 (malformed) or several ranges: RFC 9110 §14.2 lets a server ignore Range; answer 200.
      if (ranges !== -2 && ranges.length === 1 && ranges.type === 'bytes') {
        start = ranges[0]!.start;
        end = ranges[0]!.end;
        status = 206;
      }
    }

    const chunks = readVerified(s, track, start, end, (_index, digest) => report({ type: 'corrupt', trackId, digest }));
    let first: IteratorResult<Uint8Array>;
    try {
      first = await chunks.next();
    } catch (error) {
      if (isRepriseError(error, 'not-cached')) report({ type: 'wanted', trackId });
      return notFound(isRepriseError(error) ? (error as RepriseError).message : 'the track cannot be read');
    }
    const now = Date.now();
    if (now - (lastPlayReport.get(trackId) ?? 0) > PLAY_REPORT_INTERVAL_MS) {
      lastPlayReport.set(trackId, now);
      report({ type: 'played', trackId });
    }
    const headers = new Headers({
      'content-type': track.mimeType,
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    });
    if (status === 206) headers.set('content-range', `bytes ${start}-${end}/${size}`);
    if (request.method === 'HEAD') {
      void chunks.return(undefined);
      return new Response(null, { status, headers });
    }
    let pendingFirst: Uint8Array | undefined = first.done ? undefined : first.value;
    // highWaterMark 0: a chunk is read (and verified) when the player pulls it, not ahead.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (pendingFirst) {
          controller.enqueue(pendingFirst);
          pendingFirst = undefined;
          return;
        }
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          // A later chunk failed: end the response with an error; none of its bytes were sent.
          controller.error(error instanceof RepriseError ? error : new RepriseError('integrity-mismatch', String(error)));
        }
      },
      cancel() {
        void chunks.return(undefined);
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status, headers });
  }

  return {
    /** True for a GET or HEAD of a track URL under this scope. */
    matches(request: Request): boolean {
      return (request.method === 'GET' || request.method === 'HEAD') && trackIdOf(request) !== undefined;
    },
    handle,
  };
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
}
