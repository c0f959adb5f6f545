import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createCacheEngine } from '../../../src/engine/index.js';
import { key } from '../../helpers/catalog.js';

describe('createCacheEngine options', () => {
  const base = async () => ({ manifestUrl: 'https://music.example/manifest.jws', trustedKeys: [(await key('k1')).publicJwk as never], indexedDB: new IDBFactory() });

  it.each([
    ['no trusted keys', { trustedKeys: [] }, 'options.trustedKeys'],
    ['a private key among trusted keys', 'PRIVATE', 'options.trustedKeys.0.d'],
    ['a non-URL allowed origin', { allowedOrigins: ['cdn.example'] }, 'options.allowedOrigins.0'],
    ['a zero rate', { throttle: { bytesPerSecond: 0 } }, 'options.throttle.bytesPerSecond'],
    ['a fractional concurrency', { throttle: { maxConcurrent: 1.5 } }, 'options.throttle.maxConcurrent'],
    ['a negative app epoch', { appSecurityEpoch: -1 }, 'options.appSecurityEpoch'],
    ['a fetch that is not a function', { fetch: 'fetch' }, 'options.fetch'],
    ['a relative manifest URL in Node', { manifestUrl: '/offline/manifest.jws' }, 'options.manifestUrl'],
  ])('refuses %s with invalid-argument naming %s', async (_, patch, path) => {
    const options = { ...(await base()), ...(patch === 'PRIVATE' ? { trustedKeys: [(await key('k1')).privateJwk as never] } : (patch as object)) };
    const error = await createCacheEngine(options as never).catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
    expect(error.details.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('refuses bad arguments to the methods with invalid-argument', async () => {
    const engine = await createCacheEngine(await base());
    await expect(engine.setOffline('no spaces allowed', true)).rejects.toMatchObject({ name: 'invalid-argument' });
    await expect(engine.setOffline('p', 'yes' as never)).rejects.toMatchObject({ name: 'invalid-argument' });
    await expect(engine.getTrack('')).rejects.toMatchObject({ name: 'invalid-argument' });
    await expect(engine.setThrottle({ bytesPerSecond: -5 })).rejects.toMatchObject({ name: 'invalid-argument', details: { path: 'throttle.bytesPerSecond' } });
    await expect(engine.getTrack('t1')).rejects.toMatchObject({ name: 'not-cached' });
    await engine.close();
    await expect(engine.sync()).rejects.toMatchObject({ name: 'aborted' });
  });
});
