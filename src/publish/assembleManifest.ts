import { createHash } from 'node:crypto';
import { RepriseError } from '../errors/RepriseError.js';
import { DEFAULT_LIMITS, type ManifestLimits } from '../manifest/limits.js';
import { type ManifestPlaylist, type ResyncHints, checkCatalogIds } from '../manifest/schema.js';
import { ROOT_TYP } from '../manifest/v2/fetchRoot.js';
import type { ManifestTrackV2 } from '../manifest/v2/partSchema.js';
import { MANIFEST_FORMAT_2, type ManifestRoot } from '../manifest/v2/rootSchema.js';
import type { RootSigner } from './createSigner.js';
import { serializeTrack } from './DigestIndex.js';
import { defaultPartCount, shardCatalog } from './shardCatalog.js';

export interface RootFields {
  securityEpoch: number;
  /** Never decreases for a manifest URL and subject; one payload per version. */
  version: number;
  /** The account this root is for (per-user manifests). */
  subject?: string;
  issuedAt?: Date;
  expiresAt?: Date;
  revokedKeyIds?: string[];
  resync?: ResyncHints;
  /** Where chunk lists are served, relative to the manifest URL. Default "index/". */
  indexBase?: string;
  /** Prefix of part URLs, relative to the manifest URL. Default "parts/". */
  partBase?: string;
}

export interface AssembleOptions extends RootFields {
  tracks: readonly ManifestTrackV2[];
  playlists: readonly ManifestPlaylist[];
  signer: RootSigner;
  /** A power of two. Default: about 100 items a part. Pin it for a library that grows. */
  partCount?: number;
  limits?: ManifestLimits;
}

export interface AssembledPart {
  /** Relative to the manifest URL: `<partBase><sha256>.json`. */
  url: string;
  sha256: string;
  bytes: number;
  body: Buffer;
}

export interface AssembledManifest {
  jws: string;
  root: ManifestRoot;
  parts: AssembledPart[];
}

/**
 * Builds a `reprise-manifest/2` for one catalog (one user's, on a service's request path):
 * shards tracks and playlists into parts by a hash of their ids, names each part by its
 * SHA-256 (immutable, cacheable forever) and signs a root that pins them. The ids, the
 * playlists' track references and the size limits are checked as the device will check them;
 * track entries are expected from a checked digest index ({@link trackEntry}).
 */
export async function assembleManifest(options: AssembleOptions): Promise<AssembledManifest> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const fail = (message: string, path: string): never => {
    throw new RepriseError('invalid-argument', message, { path });
  };
  if (!Number.isInteger(options.version) || options.version < 1) fail(`version ${options.version} must be a whole number ≥ 1`, 'version');
  if (!Number.isInteger(options.securityEpoch) || options.securityEpoch < 0) fail(`securityEpoch ${options.securityEpoch} must be a whole number ≥ 0`, 'securityEpoch');
  if (options.revokedKeyIds?.includes(options.signer.kid)) fail(`revokedKeyIds revokes the signing key "${options.signer.kid}" itself; sign with a new key`, 'revokedKeyIds');
  if (options.tracks.length > limits.maxTracks) fail(`${options.tracks.length} tracks are more than maxTracks (${limits.maxTracks}) devices accept by default`, 'tracks');
  const [issue] = checkCatalogIds(options.tracks, options.playlists, { track: (i) => ['tracks', i], playlist: (p) => ['playlists', p] });
  if (issue) fail(`${issue.path.join('.')} ${issue.message}`, issue.path.join('.'));

  const partBase = options.partBase ?? 'parts/';
  const contents = shardCatalog(options.tracks, options.playlists, options.partCount ?? defaultPartCount(options.tracks.length + options.playlists.length));
  const parts = contents.map((content): AssembledPart => {
    const body = Buffer.from(`{"tracks":[${content.tracks.map(serializeTrack).join(',')}],"playlists":${JSON.stringify(content.playlists)}}`);
    const sha256 = createHash('sha256').update(body).digest('base64url');
    if (body.byteLength > limits.maxPartBytes) {
      fail(`a part of ${content.tracks.length} tracks is ${body.byteLength} bytes, over maxPartBytes (${limits.maxPartBytes}); give a larger partCount`, 'partCount');
    }
    return { url: `${partBase}${sha256}.json`, sha256, bytes: body.byteLength, body };
  });
  const issuedAt = options.issuedAt ?? new Date();
  const root: ManifestRoot = {
    format: MANIFEST_FORMAT_2,
    securityEpoch: options.securityEpoch,
    version: options.version,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    issuedAt: issuedAt.toISOString(),
    ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
    ...(options.revokedKeyIds?.length ? { revokedKeyIds: options.revokedKeyIds } : {}),
    ...(options.resync ? { resync: options.resync } : {}),
    indexBase: options.indexBase ?? 'index/',
    parts: parts.map(({ url, sha256, bytes }) => ({ url, sha256, bytes })),
  };
  const jws = await options.signer.sign(Buffer.from(JSON.stringify(root)), ROOT_TYP);
  if (jws.length > limits.maxRootBytes) fail(`the root is ${jws.length} bytes, over maxRootBytes (${limits.maxRootBytes}); give a smaller partCount`, 'partCount');
  return { jws, root, parts };
}
