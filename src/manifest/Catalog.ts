import { RepriseError } from '../errors/RepriseError.js';
import { contentIdOf } from './contentId.js';
import type { ManifestPlaylist, ManifestTrack } from './schema.js';
import { resolveTrackUrl } from './trackOrigins.js';
import type { VerifiedManifest } from './verifyManifest.js';

export interface CatalogTrack {
  track: ManifestTrack;
  contentId: string;
  /** Absolute URL; undefined when the track was refused. */
  url: string | undefined;
  origin: string | undefined;
  refused: RepriseError | undefined;
}

/** Byte length of chunk `index` of a track (the last one may be short). */
export function chunkLength(track: Pick<ManifestTrack, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(track.chunkSize, track.size - index * track.chunkSize);
}

/** A verified manifest, indexed: tracks by id with their content ids and checked URLs. */
export class Catalog {
  private constructor(
    readonly verified: VerifiedManifest,
    readonly manifestUrl: string,
    readonly tracks: ReadonlyMap<string, CatalogTrack>,
    readonly playlists: ReadonlyMap<string, ManifestPlaylist>,
  ) {}

  static async build(verified: VerifiedManifest, manifestUrl: string, allowed: ReadonlySet<string>): Promise<Catalog> {
    const tracks = new Map<string, CatalogTrack>();
    // Content ids hashed all at once (WebCrypto runs them off the calling thread).
    const contentIds = await Promise.all(verified.manifest.tracks.map((t) => contentIdOf(t.chunks)));
    for (const [i, track] of verified.manifest.tracks.entries()) {
      let url: string | undefined;
      let origin: string | undefined;
      let refused: RepriseError | undefined;
      try {
        const resolved = resolveTrackUrl(track.url, manifestUrl, allowed, track.id);
        url = resolved.href;
        origin = resolved.origin;
      } catch (error) {
        refused = error as RepriseError;
      }
      tracks.set(track.id, { track, contentId: contentIds[i]!, url, origin, refused });
    }
    const playlists = new Map(verified.manifest.playlists.map((p) => [p.id, p]));
    return new Catalog(verified, manifestUrl, tracks, playlists);
  }

  get manifest() {
    return this.verified.manifest;
  }

  get epoch(): number {
    return this.verified.manifest.securityEpoch;
  }

  get kid(): string {
    return this.verified.kid;
  }

  refused(): { trackId: string; code: RepriseError['code'] }[] {
    return [...this.tracks.values()].filter((t) => t.refused).map((t) => ({ trackId: t.track.id, code: t.refused!.code }));
  }

  /** Largest chunk size in the manifest (the token bucket's capacity). */
  maxChunkSize(): number {
    let max = 0;
    for (const t of this.tracks.values()) max = Math.max(max, t.track.chunkSize);
    return max || 256 * 1024;
  }

  trackOrThrow(trackId: string): CatalogTrack {
    const t = this.tracks.get(trackId);
    if (!t) throw new RepriseError('not-cached', `the manifest in force lists no track "${trackId}"`, { trackId });
    return t;
  }
}

export function assertNotRefused(t: CatalogTrack): void {
  if (t.refused) throw t.refused;
}
