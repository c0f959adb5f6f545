import { afterEach, expect } from 'vitest';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openCache, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
const songs = { 'song-a': makeWav(8, 0), 'song-b': makeWav(6, 3), 'song-c': makeWav(6, 1) };
const republished = makeWav(7, 5); // song-b, re-encoded by the service at the new epoch
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }, { id: 'more', trackIds: ['song-c'] }];
const chunksOf = (body: Buffer) => Math.ceil(body.length / CHUNK);

eachEngine('reset path', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
  });

  suite.test('a security-epoch reset keeps verified music, fetches only the re-published track, and the service worker serves the new bytes', { needs: ['serviceWorker'] }, async () => {
    site = await startSite(Object.entries(songs).map(([id, body]) => ({ id, body })), playlists);
    page = await openPage(suite.browser, site.url);
    await openCache(page, site.options);
    await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
      await cache.setOffline('more', true);
      await cache.idle();
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    // The service rotates its security epoch and re-publishes song-b with new bytes.
    await site.publish([{ id: 'song-a', body: songs['song-a'] }, { id: 'song-b', body: republished }, { id: 'song-c', body: songs['song-c'] }], 2);
    site.origin.log.length = 0;
    const report = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const r = await cache.sync();
      await cache.idle();
      return r;
    });
    expect(report).toMatchObject({ kind: 'security-epoch', fromEpoch: 1, toEpoch: 2, manifest: 'accepted', toFetch: { tracks: 1, bytes: republished.length } });
    expect(report.kept.tracks).toBe(2);
    expect(site.chunkDeliveries('song-b', republished.length)).toEqual(new Array(chunksOf(republished)).fill(1));
    expect(site.origin.log.filter((r) => r.path.startsWith('/media/') && r.path !== '/media/song-b')).toEqual([]);

    const served = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const s = await cache.status();
      const whole = await fetch(cache.trackUrl('song-b'));
      const tail = await fetch(cache.trackUrl('song-b'), { headers: { Range: 'bytes=-1000' } });
      return {
        states: s.tracks.map((t: { id: string; state: string }) => `${t.id}:${t.state}`).sort(),
        whole: [whole.status, await toBase64(await whole.blob())],
        tail: [tail.status, tail.headers.get('content-range'), await toBase64(await tail.blob())],
      };
    });
    expect(served.states).toEqual(['song-a:complete', 'song-b:complete', 'song-c:complete']);
    expect(served.whole[0]).toBe(200);
    expect(Buffer.from(served.whole[1] as string, 'base64').equals(republished)).toBe(true);
    expect(served.tail.slice(0, 2)).toEqual([206, `bytes ${republished.length - 1000}-${republished.length - 1}/${republished.length}`]);
    expect(Buffer.from(served.tail[2] as string, 'base64').equals(republished.subarray(-1000))).toBe(true);
  });
});
