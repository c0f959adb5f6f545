// The service worker's view of the store: the manifest in force is read once and answers
// look-ups until the engine says it saved another (`invalidate`, on its `manifest` news) or
// MANIFEST_READ_TTL_MS passed — a seek does not pay a third IndexedDB round trip for it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentIdOf } from '../../../src/manifest/contentId.js';
import { MANIFEST_READ_TTL_MS, storeTrackSource } from '../../../src/playback/storeTrackSource.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish } from '../../helpers/catalog.js';
import { TestOrigin } from '../../helpers/origin.js';

let origin: TestOrigin;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(() => origin.close());

const version = async (n: number) => {
  const body = bytesOf(`x${n}`, CHUNK * 2);
  await publish(origin, { tracks: [{ id: 'x', body }], playlists: [{ id: 'p', trackIds: ['x'], offline: false }], epoch: n });
  return contentIdOf(chunkDigests(body));
};

describe('storeTrackSource', () => {
  it('reads the manifest in force once; a new one counts after invalidate() or after MANIFEST_READ_TTL_MS', async () => {
    const v1 = await version(1);
    const engine = await openEngine(origin);
    try {
      await engine.sync();
      let t = 1_000_000;
      const source = storeTrackSource(engine.factory, 'reprise', () => t);
      const contentId = async () => {
        const found = await source.lookup('x');
        if ('unavailable' in found) throw new Error(found.unavailable);
        return found.contentId;
      };
      expect(await contentId()).toBe(v1);
      const v2 = await version(2);
      await engine.sync(); // the engine saved v2; this source was not told
      t += MANIFEST_READ_TTL_MS - 1;
      expect(await contentId()).toBe(v1);
      source.invalidate!(); // as the service worker does on the engine's `manifest` news
      expect(await contentId()).toBe(v2);
      const v3 = await version(3);
      await engine.sync();
      expect(await contentId()).toBe(v2);
      t += MANIFEST_READ_TTL_MS;
      expect(await contentId()).toBe(v3); // never told, but read again once the time is up
      expect(await source.lookup('nope')).toEqual({ unavailable: 'no track "nope" in the manifest in force' });
    } finally {
      await engine.close();
    }
  });
});
