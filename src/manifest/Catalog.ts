import { RepriseError } from '../errors/RepriseError.js';
import { contentIdOf } from './contentId.js';
import type { ManifestPlaylist, ManifestTrack, ResyncHints } from './schema.js';
import { resolveTrackUrl } from './trackOrigins.js';
import type { DecodedCatalog } from './v2/decodeParts.js';
import { type ResolvedRoot, chunkListUrl } from './v2/resolveRootUrls.js';
import { TaskSlicer } from './v2/TaskSlicer.js';
import type { VerifiedRoot } from './v2/verifyRoot.js';
import type { VerifiedManifest } from './verifyManifest.js';

/** A track's fields in both formats, without v1's `chunks` or v2's `contentId`. */
export type TrackEntry = Omit<ManifestTrack, 'chunks'>;

/** The fields of the manifest in force that are not its catalog, the same for both formats. */
export interface CatalogHeader {
  format: 1 | 2;
  securityEpoch: number;
  issuedAt: string;
  expiresAt?: string | undefined;
  revokedKeyIds?: string[] | undefined;
  resync?: ResyncHints | undefined;
  /** Format 2 only. */
  version?: number | undefined;
  subject?: string | undefined;
}

/** One track of the catalog; the engine's view is the same for v1 and v2. */
export class CatalogTrack {
  private v1View: ManifestTrack | undefined;

  constructor(
    readonly entry: TrackEntry,
    readonly contentId: string,
    private digests: readonly string[] | undefined,
    /** Absolute URL; undefined when the track was refused. */
    readonly url: string | undefined,
    readonly origin: string | undefined,
    readonly refused: RepriseError | undefined,
  ) {}

  /** Chunk digests: always for v1; for v2 once the chunk list is held ({@link Catalog.attachChunkList}). */
  get chunks(): readonly string[] | undefined {
    return this.digests;
  }

  /** Set once a verified chunk list is held; the v1 view follows. */
  set chunks(digests: readonly string[] | undefined) {
    this.digests = digests;
    this.v1View = undefined;
  }

  /**
   * v1's entry with its chunks. Throws `not-cached` while a v2 track's chunk list is not held:
   * read `entry` and `chunks` instead, which say so without throwing.
   */
  get track(): ManifestTrack {
    if (this.v1View) return this.v1View;
    if (!this.digests) {
      throw new RepriseError('not-cached', `the chunk list of track "${this.entry.id}" is not on the device yet`, { trackId: this.entry.id, contentId: this.contentId });
    }
    return (this.v1View = { ...this.entry, chunks: this.digests as string[] });
  }
}

/** Byte length of chunk `index` of a track (the last one may be short). */
export function chunkLength(track: Pick<TrackEntry, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(track.chunkSize, track.size - index * track.chunkSize);
}

/**
 * A verified manifest, indexed: tracks by id with their content ids and checked URLs. Built in
 * slices ({@link TaskSlicer}) so that no task of a 100,000-track build runs long.
 */
export class Catalog {
  private constructor(
    readonly verified: VerifiedManifest | VerifiedRoot,
    readonly manifestUrl: string,
    readonly tracks: ReadonlyMap<string, CatalogTrack>,
    private readonly byContent: ReadonlyMap<string, CatalogTrack[]>,
    readonly playlists: ReadonlyMap<string, ManifestPlaylist>,
    readonly header: CatalogHeader,
    /** Format 2: the absolute `indexBase`. */
    readonly indexBase: string | undefined,
    /** The largest `chunkSize`, found while the tracks were resolved (a replan asks at every download's end). */
    private readonly largestChunk: number,
  ) {}

  /** {@link refused}, listed once: refusals are decided when the catalog is built. */
  private refusedList: { trackId: string; code: RepriseError['code'] }[] | undefined;

  /** A `reprise-manifest/1` catalog. */
  static async build(verified: VerifiedManifest, manifestUrl: string, allowed: ReadonlySet<string>, slicer = new TaskSlicer()): Promise<Catalog> {
    const { manifest } = verified;
    // Content ids hashed all at once (WebCrypto runs them off the calling thread); their chunk
    // lists (233,000 digests decoded for 10,000 tracks) are built in slices.
    const hashing: Promise<string>[] = [];
    for (const [i, t] of manifest.tracks.entries()) {
      hashing.push(contentIdOf(t.chunks));
      if ((i & 127) === 127) await slicer.check();
    }
    const contentIds = await Promise.all(hashing);
    const { tracks, byContent, largestChunk } = await resolveTracks(
      manifest.tracks,
      ({ chunks, ...entry }, i) => ({ entry, contentId: contentIds[i]!, chunks }),
      manifestUrl,
      allowed,
      slicer,
    );
    const { format: _format, tracks: _tracks, playlists: _playlists, ...header } = manifest;
    return new Catalog(verified, manifestUrl, tracks, byContent, new Map(manifest.playlists.map((p) => [p.id, p])), { format: 1, ...header }, undefined, largestChunk);
  }

  /** A `reprise-manifest/2` catalog: its root, the root's resolved URLs and its decoded parts. */
  static async buildV2(
    verified: VerifiedRoot,
    resolved: ResolvedRoot,
    decoded: DecodedCatalog,
    manifestUrl: string,
    allowed: ReadonlySet<string>,
    slicer = new TaskSlicer(),
  ): Promise<Catalog> {
    const { tracks, byContent, largestChunk } = await resolveTracks(decoded.tracks, ({ contentId, ...entry }) => ({ entry, contentId, chunks: undefined }), manifestUrl, allowed, slicer);
    const { format: _format, parts: _parts, indexBase: _indexBase, ...header } = verified.root;
    return new Catalog(verified, manifestUrl, tracks, byContent, new Map(decoded.playlists.map((p) => [p.id, p])), { format: 2, ...header }, resolved.indexBase, largestChunk);
  }

  get format(): 1 | 2 {
    return this.header.format;
  }

  /** The manifest's fields other than its catalog (kept under this name for the engine). */
  get manifest(): CatalogHeader {
    return this.header;
  }

  get epoch(): number {
    return this.header.securityEpoch;
  }

  get kid(): string {
    return this.verified.kid;
  }

  /** Format 2: where the chunk list of `contentId` is fetched; undefined for v1. */
  chunkListUrl(contentId: string): string | undefined {
    return this.indexBase === undefined ? undefined : chunkListUrl(this.indexBase, contentId);
  }

  /** Tracks that share a content id. */
  tracksWithContent(contentId: string): readonly CatalogTrack[] {
    return this.byContent.get(contentId) ?? [];
  }

  /**
   * Gives the tracks of a content their chunk digests, from a chunk list verified by
   * `verifyChunkList` (or kept with the content from a v1 manifest). Returns how many tracks.
   */
  attachChunkList(contentId: string, digests: readonly string[]): number {
    const tracks = this.byContent.get(contentId) ?? [];
    for (const t of tracks) {
      if (digests.length !== Math.ceil(t.entry.size / t.entry.chunkSize)) {
        throw new RepriseError('integrity-mismatch', `a chunk list of ${digests.length} digests does not fit track "${t.entry.id}"`, { trackId: t.entry.id, contentId });
      }
      t.chunks = digests;
    }
    return tracks.length;
  }

  /** Content ids whose chunk list is not held yet (always empty for v1). */
  contentsWithoutChunkList(): string[] {
    return [...this.byContent].filter(([, tracks]) => tracks[0]!.chunks === undefined).map(([contentId]) => contentId);
  }

  refused(): { trackId: string; code: RepriseError['code'] }[] {
    this.refusedList ??= [...this.tracks.values()].filter((t) => t.refused).map((t) => ({ trackId: t.entry.id, code: t.refused!.code }));
    return this.refusedList.map((r) => ({ ...r }));
  }

  /** Largest chunk size in the manifest (the token bucket's capacity). */
  maxChunkSize(): number {
    return this.largestChunk || 256 * 1024;
  }

  trackOrThrow(trackId: string): CatalogTrack {
    const t = this.tracks.get(trackId);
    if (!t) throw new RepriseError('not-cached', `the manifest in force lists no track "${trackId}"`, { trackId });
    return t;
  }
}

/** Resolves and checks each track's URL and groups tracks by content, yielding between slices. */
async function resolveTracks<T>(
  list: readonly T[],
  split: (item: T, i: number) => { entry: TrackEntry; contentId: string; chunks: readonly string[] | undefined },
  manifestUrl: string,
  allowed: ReadonlySet<string>,
  slicer: TaskSlicer,
): Promise<{ tracks: Map<string, CatalogTrack>; byContent: Map<string, CatalogTrack[]>; largestChunk: number }> {
  const tracks = new Map<string, CatalogTrack>();
  let largestChunk = 0;
  const byContent = new Map<string, CatalogTrack[]>();
  for (const [i, item] of list.entries()) {
    const { entry, contentId, chunks } = split(item, i);
    let url: string | undefined;
    let origin: string | undefined;
    let refused: RepriseError | undefined;
    try {
      const resolved = resolveTrackUrl(entry.url, manifestUrl, allowed, entry.id);
      url = resolved.href;
      origin = resolved.origin;
    } catch (error) {
      refused = error as RepriseError;
    }
    const track = new CatalogTrack(entry, contentId, chunks, url, origin, refused);
    largestChunk = Math.max(largestChunk, entry.chunkSize);
    tracks.set(entry.id, track);
    const same = byContent.get(contentId);
    if (same) same.push(track);
    else byContent.set(contentId, [track]);
    if ((i & 255) === 255) await slicer.check();
  }
  return { tracks, byContent, largestChunk };
}

export function assertNotRefused(t: CatalogTrack): void {
  if (t.refused) throw t.refused;
}
