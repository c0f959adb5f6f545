/**
 * Bounds on what a manifest may ask of the device. A manifest is signed, but a signed manifest
 * can still be a mistake; these keep a bad one from exhausting memory or storage.
 */
export interface ManifestLimits {
  /** Largest manifest accepted, in bytes of the JWS. Default 8 MiB (≈ 40,000 tracks of 3 MiB). */
  maxManifestBytes: number;
  /** Most tracks in one manifest. Default 50,000. */
  maxTracks: number;
  /** Largest single track, in bytes. Default 2 GiB (a long lossless mix). */
  maxTrackBytes: number;
}

export const DEFAULT_LIMITS: ManifestLimits = {
  maxManifestBytes: 8 * 1024 * 1024,
  maxTracks: 50_000,
  maxTrackBytes: 2 * 1024 * 1024 * 1024,
};

/** DESIGN.md: `chunkSize` is a power of two from 64 KiB to 8 MiB. */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 8 * 1024 * 1024;
