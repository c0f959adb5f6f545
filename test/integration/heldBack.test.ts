// Issue 21: a held-back library says why and what helps, and recovers by itself once the
// manifest is reachable again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine, SyncReport } from '../../src/engine/index.js';
import { CHUNK, bytesOf, openEngine, publish, record } from '../helpers/catalog.js';
import { ManualClock } from '../helpers/ManualClock.js';
import { TestOrigin } from '../helpers/origin.js';
import { until } from '../helpers/wait.js';

const bodies = { t1: bytesOf('t1', CHUNK * 3), t2: bytesOf('t2', CHUNK * 2) };
const tracks = () => Object.entries(bodies).map(([id, body]) => ({ id, body }));
const playlists = [{ id: 'p', trackIds: ['t1', 't2'], offline: true }];

let origin: TestOrigin;
let engine: CacheEngine | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  await origin.close();
});

/** v1 of the app synced the library with key k1; v2 revokes k1 and trusts k2; the manifest server is down. */
async function upgradedWhileOffline(clock: ManualClock) {
  await publish(origin, { tracks: tracks(), playlists, epoch: 1, kid: 'k1' });
  const v1 = await openEngine(origin, { kids: ['k1', 'k2'] });
  await v1.sync();
  await v1.idle();
  await v1.close();
  origin.log.length = 0;
  origin.faults.push((req, res) => (req.url === '/manifest.jws' ? (res.writeHead(503).end(), true) : false));
  const v2 = await openEngine(origin, { kids: ['k1', 'k2'], revokedKeyIds: ['k1'], appSecurityEpoch: 2, indexedDB: v1.factory, clock, random: () => 0 });
  engine = v2;
  return v2;
}

describe('held back after a forced upgrade, manifest unreachable', () => {
  it('sync() and getTrack() name the cause (key revoked by this build, manifest unreachable) and what happens next', async () => {
    const e = await upgradedWhileOffline(new ManualClock());
    const error = (await e.sync().catch((x: unknown) => x)) as Error & { details: Record<string, unknown> };
    expect(error.name).toBe('network');
    expect(error.message).toMatch(/key "k1", which this build revoked or no longer trusts, so 2 tracks are held back/);
    expect(error.message).toMatch(/again as soon as the device is back online/);
    const held = (await e.getTrack('t1').catch((x: unknown) => x)) as Error;
    expect(held.name).toBe('not-cached');
    expect(held.message).toMatch(/on the device but held back: the key that signed the stored manifest \("k1"\) is revoked/);
    expect(held.message).toMatch(/could not be fetched yet; reprise asks for it again as soon as the device is back online/);
    expect(held.message).not.toMatch(/mark its playlist offline|setOffline/);
  });

  it('the manifest comes back: sync runs again by itself (backoff), the library is kept, nothing is fetched again', async () => {
    const clock = new ManualClock();
    const e = await upgradedWhileOffline(clock);
    const resets = record<SyncReport>(e, 'reset');
    await e.sync().catch(() => {});
    await publish(origin, { tracks: tracks(), playlists, epoch: 2, kid: 'k2', patch: (m) => (m.revokedKeyIds = ['k1']) });
    origin.faults.length = 0;
    const manifestRequests = () => origin.requestsFor('/manifest.jws').length;
    expect(manifestRequests()).toBe(1);
    await clock.advance(14_000); // the first retry comes after 15–30 s (random() = 0: 15 s)
    expect(manifestRequests()).toBe(1);
    await clock.advance(2_000);
    await until(() => resets.length === 1, 5000, 'the retried sync to report');
    expect(resets[0]).toMatchObject({ kind: 'key-revoked', manifest: 'accepted', kept: { tracks: 2 }, toFetch: { tracks: 0, bytes: 0 } });
    expect(manifestRequests()).toBe(2);
    expect(Buffer.from(await (await e.getTrack('t1')).arrayBuffer()).equals(bodies.t1)).toBe(true);
    expect(origin.log.filter((r) => r.path.startsWith('/media/'))).toEqual([]);
    // Reached: no more retries.
    await clock.advance(3_600_000);
    expect(manifestRequests()).toBe(2);
  });

  it('a track not downloaded yet says it was moved to the front, not that its playlist must be marked offline', async () => {
    await publish(origin, { tracks: tracks(), playlists, epoch: 1 });
    const e = (engine = await openEngine(origin));
    await e.pause();
    await e.sync();
    const error = (await e.getTrack('t2').catch((x: unknown) => x)) as Error;
    expect(error.name).toBe('not-cached');
    expect(error.message).toMatch(/has 2 of 2 chunks still to download.*downloads are paused \(user\)/);
    expect(error.message).not.toMatch(/mark its playlist offline/);
  });
});
