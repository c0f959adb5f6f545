import { contentIdOf } from '../manifest/contentId.js';
import { type Manifest, type ManifestTrack, manifestSchema } from '../manifest/schema.js';
import { openStore } from '../store/openStore.js';
import { Store } from '../store/Store.js';
import { fromBase64Url } from '../util/base64url.js';
import type { ChunkReader } from './readVerified.js';

/** A track the route can serve: its manifest entry, its content id and where its chunks are. */
export interface ServableTrack {
  track: ManifestTrack;
  /** DESIGN.md's content id; the answer's `ETag` is it, quoted. */
  contentId: string;
  reader: ChunkReader;
}

/** Where the route finds tracks: the offline store by default, a fake one in unit tests. */
export interface TrackSource {
  /** The track in the manifest in force, or a sentence saying why it cannot be served (404). */
  lookup(trackId: string): Promise<ServableTrack | { unavailable: string }>;
}

/**
 * The offline store as a track source: the manifest the engine accepted (and verified), parsed
 * once per version of it, and the store's chunks. The database is re-opened after the engine
 * closes or upgrades it.
 */
export function storeTrackSource(factory: IDBFactory, dbName: string): TrackSource {
  let store: Promise<Store> | undefined;
  let parsed: { jws: string; tracks: Map<string, ManifestTrack>; contentIds: Map<string, Promise<string>> } | undefined;

  const getStore = () => {
    store ??= openStore(factory, dbName).then(({ db }) => {
      db.addEventListener('close', () => (store = undefined));
      db.addEventListener('versionchange', () => (store = undefined));
      return new Store(db);
    });
    return store;
  };

  return {
    async lookup(trackId) {
      let s: Store;
      let jws: string | undefined;
      try {
        s = await getStore();
        const meta = await s.readMeta();
        jws = meta.manifest && meta.manifestTrusted !== false ? meta.manifest.jws : undefined;
        if (jws && parsed?.jws !== jws) {
          const payload = JSON.parse(new TextDecoder().decode(fromBase64Url(jws.split('.')[1] ?? ''))) as unknown;
          const manifest: Manifest = manifestSchema().parse(payload);
          parsed = { jws, tracks: new Map(manifest.tracks.map((t) => [t.id, t])), contentIds: new Map() };
        }
      } catch {
        return { unavailable: 'the offline store cannot be read' };
      }
      if (!jws || !parsed) return { unavailable: 'no trusted manifest on this device' };
      const track = parsed.tracks.get(trackId);
      if (!track) return { unavailable: `no track "${trackId}" in the manifest in force` };
      let contentId = parsed.contentIds.get(trackId);
      if (!contentId) parsed.contentIds.set(trackId, (contentId = contentIdOf(track.chunks)));
      return { track, contentId: await contentId, reader: s };
    },
  };
}
