/**
 * Bounds on what a manifest may ask of the device. A manifest is signed, but a signed manifest
 * can still be a mistake; these keep a bad one from exhausting memory or storage. Sizes are in
 * decompressed bytes, checked on the body as it streams (docs/how-it-works.md "Manifest reprise-manifest/2").
 */
export interface ManifestLimits {
  /**
   * Largest `reprise-manifest/1` accepted, in bytes of the JWS. Default 32 MiB: about 19,000
   * tracks of 6 MB in 256 KiB chunks (a v1 track costs ~1.7 KB of JWS). Larger libraries belong
   * in format 2, whose size does not grow with the chunk count.
   */
  maxManifestBytes: number;
  /** Largest `reprise-manifest/2` root, in bytes of the JWS. Default 1 MiB (≈ 5,000 parts). */
  maxRootBytes: number;
  /** Largest format-2 part, in bytes. Default 4 MiB (≈ 15,000 tracks in one part). */
  maxPartBytes: number;
  /** Most tracks in one manifest (v1) or in all parts of a root (v2). Default 200,000. */
  maxTracks: number;
  /** Largest single track, in bytes. Default 2 GiB (a long lossless mix). */
  maxTrackBytes: number;
}

export const DEFAULT_LIMITS: ManifestLimits = {
  maxManifestBytes: 32 * 1024 * 1024,
  maxRootBytes: 1024 * 1024,
  maxPartBytes: 4 * 1024 * 1024,
  maxTracks: 200_000,
  maxTrackBytes: 2 * 1024 * 1024 * 1024,
};

/** The engine option that raises each limit, for messages that say what to do. */
export function limitOption(name: keyof ManifestLimits): string {
  return `limits.${name}`;
}

/** docs/how-it-works.md: `chunkSize` is a power of two from 64 KiB to 8 MiB. */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 8 * 1024 * 1024;
