import { pageError } from './pageError.js';

const REQUIRED = {
  manifestUrl: 'the signed manifest URL',
  trustedKeys: 'the ES256 public keys (JWK with kid) the app trusts',
  serviceWorker: '{ url } of the service worker, or false to play with getTrack()',
} as const;

/** Names every required option that is missing at once, before anything starts. */
export function requireOptions(options: unknown): void {
  const given = (options ?? {}) as Record<string, unknown>;
  const missing = Object.keys(REQUIRED).filter((k) => given[k] === undefined || given[k] === null) as (keyof typeof REQUIRED)[];
  if (missing.length === 0) return;
  const paths = missing.map((k) => `options.${k}`);
  throw pageError('invalid-argument', `missing ${paths.join(', ')}: give ${missing.map((k) => `${k} (${REQUIRED[k]})`).join(', ')}`, { path: paths[0], missing: paths });
}
