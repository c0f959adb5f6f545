import { contentIdOf } from '../manifest/contentId.js';
import { manifestSchema } from '../manifest/schema.js';
import type { Manifest, ManifestTrack } from '../manifest/types.js';
import { openStore } from '../store/openStore.js';
import { servedManifestJws } from '../store/schema.js';
import { Store } from '../store/Store.js';
import { fromBase64Url, toBase64Url } from '../util/base64url.js';
import { sha256Base64Url } from '../util/sha256.js';
import type { ChunkReader } from './readVerified.js';

/**
 * Why a track cannot be served now: `wanted` (format 2: its chunk list is not on the device yet;
 * `contentId` is the content the manifest in force lists), or `unreadable` (the store could not
 * be read: nothing is known about the track).
 */
export interface Unavailable {
  unavailable: string;
  wanted?: boolean;
  contentId?: string;
  unreadable?: boolean;
}

/** A track the route can serve: its manifest entry, its content id and where its chunks are. */
export interface ServableTrack {
  track: ManifestTrack;
  /** docs/how-it-works.md's content id; the answer's `ETag` is it, quoted. */
  contentId: string;
  reader: ChunkReader;
}

/** Where the route finds tracks: the offline store by default, a fake one in unit tests. */
export interface TrackSource {
  /** The track in the manifest in force, or a sentence saying why it cannot be served (404). */
  lookup(trackId: string): Promise<ServableTrack | Unavailable>;
  /** The track as the engine that writes lists it (its `track` news), read from this source's chunks. */
  fromEngine?(track: ManifestTrack, contentId: string): Promise<ServableTrack>;
  /** The engine saved a manifest (its `manifest` news): the next look-up reads the one in force again. */
  invalidate?(): void;
}

/**
 * How long the manifest in force, once read, answers look-ups without reading the store's state
 * again. The engine says when it saves a new one (`invalidate`); this bounds what a missed word
 * could cost. A look-up that reads the state waits for IndexedDB — behind the resync's writes,
 * a third round trip to the browser process on every seek.
 */
export const MANIFEST_READ_TTL_MS = 10_000;

/**
 * The offline store as a track source: the manifest the engine accepted (and verified), parsed
 * once per version of it, and the store's chunks. The database is re-opened after the engine
 * closes or upgrades it.
 */
export function storeTrackSource(factory: IDBFactory, dbName: string, now: () => number = Date.now): TrackSource {
  let store: Promise<Store> | undefined;
  let parsed: { jws: string; catalog: Promise<StoredCatalog> } | undefined;
  /** The manifest in force as last read from the store's state (undefined: none trusted), and when. */
  let inForce: { catalog: StoredCatalog | undefined; at: number } | undefined;

  const getStore = () => {
    store ??= openStore(factory, dbName).then(({ db }) => {
      const gone = () => ((store = undefined), (inForce = undefined));
      db.addEventListener('close', gone);
      db.addEventListener('versionchange', gone);
      return new Store(db);
    });
    return store;
  };

  return {
    async fromEngine(track, contentId) {
      return { track, contentId, reader: await getStore() };
    },
    invalidate() {
      inForce = undefined;
    },
    async lookup(trackId) {
      let s: Store;
      let catalog: StoredCatalog | undefined;
      try {
        s = await getStore();
        const at = now();
        if (inForce && at - inForce.at < MANIFEST_READ_TTL_MS) catalog = inForce.catalog;
        else {
          const meta = await s.readMeta();
          const jws = servedManifestJws(meta);
          if (jws && parsed?.jws !== jws) parsed = { jws, catalog: readCatalog(s, jws) };
          catalog = jws ? await parsed!.catalog : undefined;
          inForce = { catalog, at };
        }
      } catch {
        parsed = undefined;
        inForce = undefined;
        return { unavailable: 'the offline store cannot be read', unreadable: true };
      }
      if (!catalog) return { unavailable: 'no trusted manifest on this device' };
      const entry = catalog.tracks.get(trackId);
      if (!entry) return { unavailable: `no track "${trackId}" in the manifest in force` };
      const chunks = entry.chunks ?? (await storedChunkList(s, entry.contentId));
      // Format 2 without the chunk list yet: the engine fetches it when asked (play while missing).
      if (!chunks) return { unavailable: `the chunk list of track "${trackId}" is not on the device yet`, wanted: true, contentId: entry.contentId };
      entry.chunks = chunks;
      return { track: { ...entry, chunks }, contentId: entry.contentId, reader: s };
    },
  };
}

interface StoredEntry extends Omit<ManifestTrack, 'chunks'> {
  contentId: string;
  chunks?: string[];
}

interface StoredCatalog {
  tracks: Map<string, StoredEntry>;
}

/**
 * The catalog of the manifest the engine accepted (its signature verified then; `manifestTrusted`
 * says it still is). Format 1 lists every digest; format 2's parts are checked against the
 * root's pins, and chunk lists against their content ids, before use.
 */
async function readCatalog(s: Store, jws: string): Promise<StoredCatalog> {
  const payload = JSON.parse(new TextDecoder().decode(fromBase64Url(jws.split('.')[1] ?? ''))) as { format?: string; parts?: { sha256: string }[] };
  if (payload.format !== 'reprise-manifest/2') {
    const manifest: Manifest = manifestSchema().parse(payload);
    const ids = await Promise.all(manifest.tracks.map((t) => contentIdOf(t.chunks)));
    return { tracks: new Map(manifest.tracks.map((t, i) => [t.id, { ...t, contentId: ids[i]! }])) };
  }
  const tracks = new Map<string, StoredEntry>();
  for (const ref of payload.parts ?? []) {
    const body = await s.getPart(ref.sha256);
    if (!body || (await sha256Base64Url(body)) !== ref.sha256) throw new Error('a stored part does not match its pin');
    const part = JSON.parse(new TextDecoder().decode(body)) as { tracks: StoredEntry[] };
    for (const t of part.tracks) tracks.set(t.id, t);
  }
  return { tracks };
}

/** A stored chunk list whose SHA-256 is the content id, as digests. */
async function storedChunkList(s: Store, contentId: string): Promise<string[] | undefined> {
  const [body] = await s.getChunkLists([contentId]);
  if (!body || body.byteLength % 32 !== 0 || (await sha256Base64Url(body)) !== contentId) return undefined;
  const bytes = new Uint8Array(body);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) out.push(toBase64Url(bytes.subarray(i, i + 32)));
  return out;
}
