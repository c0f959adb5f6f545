// Issue 21, the data side of a forced upgrade in every engine (the service-worker side — app-update
// reaching every tab, reload while v2 waits, applyUpdate() reloading — is upgrade.test.ts).
import { afterEach, expect } from 'vitest';
import { chunkDigests, key, sign } from '../helpers/catalog.js';
import { makeWav } from '../helpers/wav.js';
import { type EnginePage, eachEngine, openCache, openPage, startSite } from './harness.js';

const CHUNK = 64 * 1024;
const songs = { 'song-a': makeWav(6, 0), 'song-b': makeWav(5, 3) };
const republished = makeWav(5, 4); // song-b, re-encoded in the new build's catalog
const playlists = [{ id: 'mix', trackIds: ['song-a', 'song-b'] }];

eachEngine('forced upgrade', (suite) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let page: EnginePage | undefined;
  afterEach(async () => {
    await page?.close().catch(() => {});
    await site?.origin.close();
  });

  suite.test('v2 revokes v1\'s key: held back with a clear message while the manifest is unreachable, nothing deleted; then kept, and only the changed track fetched', {}, async () => {
    site = await startSite(Object.entries(songs).map(([id, body]) => ({ id, body })), playlists);
    page = await openPage(suite.browser, site.url);
    await openCache(page, site.options);
    await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      await cache.sync();
      await cache.setOffline('mix', true);
      await cache.idle();
    });
    // The service ships v2: a new key, the old one revoked, the epoch raised, song-b re-published.
    const tracks = { ...songs, 'song-b': republished };
    const v2Manifest = {
      format: 'reprise-manifest/1',
      securityEpoch: 2,
      issuedAt: new Date().toISOString(),
      revokedKeyIds: ['k1'],
      playlists: playlists.map((p) => ({ name: p.id, ...p })),
      tracks: Object.entries(tracks).map(([id, body]) => ({ id, url: `media/${id}`, mimeType: 'audio/wav', size: body.length, chunkSize: CHUNK, chunks: chunkDigests(body, CHUNK) })),
    };
    site.origin.put('/media/song-b', republished, 'audio/wav');
    site.origin.put('/manifest.jws', await sign(v2Manifest, 'k2'), 'application/jose');
    // …but the manifest endpoint is down when the listener opens v2.
    let manifestDown = true;
    site.origin.faults.unshift((req, res) => (manifestDown && req.url === '/manifest.jws' ? (res.writeHead(503).end(), true) : false));
    const v2Options = { ...site.options, trustedKeys: [(await key('k1')).publicJwk, (await key('k2')).publicJwk], revokedKeyIds: ['k1'], appSecurityEpoch: 2 };
    await page.close();
    page = await openPage(suite.browser, site.url);
    await openCache(page, v2Options);
    site.origin.log.length = 0;
    const offline = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const sync = await cache.sync().then(
        () => ({ name: 'resolved', message: '' }),
        (e: Error) => ({ name: e.name, message: e.message }),
      );
      const play = await cache.getTrack('song-a').then(
        () => ({ name: 'resolved', message: '' }),
        (e: Error) => ({ name: e.name, message: e.message }),
      );
      const status = await cache.status();
      return { sync, play, held: status.tracks.map((t: { state: string }) => t.state) };
    });
    expect(offline.sync.name).toBe('network');
    expect(offline.sync.message).toMatch(/key "k1", which this build revoked or no longer trusts, so 2 tracks are held back until a new manifest verifies them \(nothing was deleted\)/);
    expect(offline.sync.message).toMatch(/as soon as the device is back online/);
    expect(offline.play.name).toBe('not-cached');
    expect(offline.play.message).toMatch(/held back: the key that signed the stored manifest \("k1"\) is revoked/);
    expect(offline.play.message).not.toMatch(/mark its playlist offline|setOffline/);
    expect(site.origin.log.filter((r) => r.path.startsWith('/media/'))).toEqual([]);

    // The manifest is back: v2 accepts it, re-verifies what is stored, keeps song-a, fetches song-b.
    manifestDown = false;
    const online = await page.evaluate(async () => {
      const { cache } = window as never as { cache: any };
      const report = await cache.sync();
      await cache.idle();
      const blob = await cache.getTrack('song-b');
      return { report, size: blob.size };
    });
    expect(online.report).toMatchObject({ kind: 'key-revoked', manifest: 'accepted', fromEpoch: 1, toEpoch: 2, kept: { tracks: 1 }, toFetch: { tracks: 1, bytes: republished.length } });
    expect(online.report.reasons).toEqual(expect.arrayContaining(['key-revoked', 'security-epoch', 'app-epoch']));
    expect(online.size).toBe(republished.length);
    expect(new Set(site.origin.log.filter((r) => r.path.startsWith('/media/')).map((r) => r.path))).toEqual(new Set(['/media/song-b']));
  });
});
