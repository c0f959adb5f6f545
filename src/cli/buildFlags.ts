/** The flags `reprise manifest build` takes in both formats (node:util parseArgs options). */
export const BUILD_FLAGS = {
  format: { type: 'string' },
  'base-url': { type: 'string' },
  key: { type: 'string' },
  epoch: { type: 'string' },
  'chunk-size': { type: 'string' },
  playlist: { type: 'string', multiple: true },
  offline: { type: 'string', multiple: true },
  revoke: { type: 'string', multiple: true },
  'expires-in': { type: 'string' },
  window: { type: 'string' },
  'max-bytes-per-second': { type: 'string' },
  'max-concurrent': { type: 'string' },
  out: { type: 'string' },
} as const;
