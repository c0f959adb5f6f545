import { describe, expect, it } from 'vitest';
import { chunkListOf } from '../../../src/manifest/contentId.js';
import { allowedOriginSet } from '../../../src/manifest/trackOrigins.js';
import { fetchChunkList } from '../../../src/manifest/v2/fetchChunkList.js';
import { loadManifest } from '../../../src/manifest/v2/loadManifest.js';
import { verifyChunkList } from '../../../src/manifest/v2/verifyChunkList.js';
import { FakeOrigin, MANIFEST_URL, library, mediaIndex, publishTo, verifyContext } from './v2Fixture.js';

const index = mediaIndex(4);
const allowed = allowedOriginSet(MANIFEST_URL, []);

async function published() {
  const origin = new FakeOrigin();
  await publishTo(origin, { ...library(index), securityEpoch: 1, version: 1 });
  for (const [contentId, body] of index.chunkLists()) origin.put(`index/${contentId}`, new Uint8Array(body));
  const loaded = await loadManifest({ manifestUrl: MANIFEST_URL, fetch: origin.fetch, allowed, verify: await verifyContext() });
  if (loaded.status !== 'accepted') throw new Error('expected a manifest');
  return { origin, catalog: loaded.catalog };
}

describe('chunk lists', () => {
  it('are fetched at <indexBase><contentId>, verified by the content id, and give the catalog its digests', async () => {
    const { origin, catalog } = await published();
    const t = catalog.tracks.get('t1')!;
    expect(() => t.track).toThrow(expect.objectContaining({ name: 'not-cached' }));
    const { digests } = await fetchChunkList(catalog.chunkListUrl(t.contentId)!, { ...t.entry, contentId: t.contentId }, { fetch: origin.fetch, allowed });
    expect(chunkListOf(digests)).toEqual(new Uint8Array(index.get('m1')!.chunkList));
    expect(catalog.attachChunkList(t.contentId, digests)).toBe(1);
    expect(t.chunks).toBe(digests);
    expect(t.track.chunks).toEqual(digests);
    expect(catalog.contentsWithoutChunkList()).not.toContain(t.contentId);
    expect(catalog.contentsWithoutChunkList()).toHaveLength(3);
  });

  it('refuse a tampered chunk list as integrity-mismatch (never given to the catalog)', async () => {
    const { origin, catalog } = await published();
    const t = catalog.tracks.get('t2')!;
    const body = new Uint8Array(index.get('m2')!.chunkList);
    body[40] = body[40]! ^ 1;
    origin.put(`index/${t.contentId}`, body);
    const track = { ...t.entry, contentId: t.contentId };
    await expect(fetchChunkList(catalog.chunkListUrl(t.contentId)!, track, { fetch: origin.fetch, allowed })).rejects.toMatchObject({ name: 'integrity-mismatch', details: { trackId: 't2' } });
    await expect(verifyChunkList(body.subarray(0, 64) as Uint8Array<ArrayBuffer>, track)).rejects.toMatchObject({ name: 'integrity-mismatch' });
    origin.put(`index/${t.contentId}`, new Uint8Array(body.byteLength + 1024 * 1024));
    await expect(fetchChunkList(catalog.chunkListUrl(t.contentId)!, track, { fetch: origin.fetch, allowed })).rejects.toMatchObject({ name: 'integrity-mismatch' });
    expect(t.chunks).toBeUndefined();
  });

  it('ask authorize as media, with the track id', async () => {
    const { origin, catalog } = await published();
    const t = catalog.tracks.get('t0')!;
    const seen: unknown[] = [];
    await fetchChunkList(catalog.chunkListUrl(t.contentId)!, { ...t.entry, contentId: t.contentId }, { fetch: origin.fetch, allowed, authorize: (r) => void seen.push(r) });
    expect(seen).toEqual([{ url: catalog.chunkListUrl(t.contentId), kind: 'media', trackId: 't0', attempt: 0 }]);
  });
});
