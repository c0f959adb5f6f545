// The manifest's public types, as plain interfaces (no schema library in the package's types).
// test/unit/manifest/types.test.ts holds them equal to what the schemas accept.

/** The server's `resync` hints: they can only lower the app's settings. */
export interface ResyncHints {
  windowSeconds?: number | undefined;
  maxBytesPerSecond?: number | undefined;
  maxConcurrent?: number | undefined;
}

export interface ManifestPlaylist {
  id: string;
  name: string;
  trackIds: string[];
  /** The user's choice as the service recorded it: the device's fallback on a fresh install and after storage was lost. */
  offline?: boolean | undefined;
  /** When the user last played it, as the service recorded it (ISO time): orders playlists after `storage-lost`. */
  lastPlayedAt?: string | undefined;
}

/** A track of `reprise-manifest/1`. */
export interface ManifestTrack {
  id: string;
  url: string;
  mimeType: string;
  size: number;
  chunkSize: number;
  /** The unpadded base64url SHA-256 of each chunk. */
  chunks: string[];
  title?: string | undefined;
  artist?: string | undefined;
  durationSeconds?: number | undefined;
}

/** A `reprise-manifest/1` payload. */
export interface Manifest {
  format: 'reprise-manifest/1';
  securityEpoch: number;
  issuedAt: string;
  expiresAt?: string | undefined;
  revokedKeyIds?: string[] | undefined;
  resync?: ResyncHints | undefined;
  playlists: ManifestPlaylist[];
  tracks: ManifestTrack[];
}

/** An ES256 public key as a JWK with its `kid` (RFC 7517 §4.5, RFC 7518 §6.2). */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  d?: undefined;
  [member: string]: unknown;
}
