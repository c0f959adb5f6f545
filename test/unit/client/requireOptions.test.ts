import { describe, expect, it } from 'vitest';
import { requireOptions } from '../../../src/client/requireOptions.js';

const complete = { manifestUrl: '/m.jws', trustedKeys: [], serviceWorker: false };

describe('requireOptions', () => {
  it.each([
    { name: 'nothing', options: undefined, missing: ['options.manifestUrl', 'options.trustedKeys', 'options.serviceWorker'] },
    { name: 'an empty object', options: {}, missing: ['options.manifestUrl', 'options.trustedKeys', 'options.serviceWorker'] },
    { name: 'no keys and a null service worker', options: { manifestUrl: '/m.jws', serviceWorker: null }, missing: ['options.trustedKeys', 'options.serviceWorker'] },
    { name: 'no manifest', options: { trustedKeys: [], serviceWorker: { url: '/sw.js' } }, missing: ['options.manifestUrl'] },
  ])('names every missing option at once: $name', ({ options, missing }) => {
    let error: (Error & { details?: { path?: string; missing?: string[] } }) | undefined;
    try {
      requireOptions(options);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error).toMatchObject({ name: 'invalid-argument', details: { path: missing[0], missing } });
    for (const option of missing) expect(error!.message).toContain(option);
  });

  it.each([{ options: complete }, { options: { ...complete, serviceWorker: { url: '/sw.js' } } }])('accepts %j (serviceWorker: false counts as given)', ({ options }) => {
    expect(() => requireOptions(options)).not.toThrow();
  });
});
