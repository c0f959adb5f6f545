import type { ErrorCode } from './codes.js';

/**
 * What to do about each error, appended to every message. Kept in one table so that wording
 * stays consistent (the workbox way: messages live in one place).
 */
export const HINTS: Record<ErrorCode, string> = {
  'invalid-argument': 'check the value passed to reprise against its documented type.',
  'manifest-invalid': 'the manifest does not follow reprise-manifest/1; rebuild it with `reprise manifest build`.',
  'manifest-signature':
    'the manifest must be a compact JWS signed with ES256 by a key in `trustedKeys` that is not revoked; nothing stored was changed.',
  'manifest-rollback':
    'the server sent a manifest older than one already accepted (or than appSecurityEpoch); nothing stored was changed.',
  'manifest-expired': 'the server must publish a freshly signed manifest; nothing stored was changed.',
  'origin-not-allowed': 'serve the track from the manifest origin or add its origin to `allowedOrigins`.',
  network: 'the request failed or the device is offline; reprise already retried with backoff before reporting it, and tries again when the browser is back online or on resume() (or call sync()).',
  unauthorized: 'the origin refused the credentials; sign the user in again, then call sync().',
  'not-found': 'nothing is served at that URL: a track URL is the manifest\'s base URL + the file\'s path, resolved against the manifest\'s URL; publish the file there or rebuild the manifest (`reprise manifest build`) to match the origin.',
  'integrity-mismatch': 'the bytes did not match the signed SHA-256 digests and were not stored.',
  'quota-exceeded': 'the device is out of storage for this origin; free space (remove a playlist) and reprise resumes.',
  'not-cached': 'the track is not on the device; keep its playlist offline (setOffline) and let sync() fetch it.',
  aborted: 'the operation was cancelled (pause, close or a newer call).',
  'storage-failed': 'nothing verified was lost; reload the page, and if it happens again, check the browser\'s storage settings for this site.',
  internal: 'this is a bug in reprise; nothing stored was changed by it. Please report it with this message.',
};
