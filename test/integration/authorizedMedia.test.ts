// Issue 19: a CDN that wants a bearer token rotating every 2 s and media at signed URLs that
// expire 3 s after signing. A long capped resync crosses many expiries and loses nothing.
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine, EngineState } from '../../src/engine/index.js';
import type { AuthorizeRequest } from '../../src/manifest/v2/requestDocument.js';
import { CHUNK, bytesOf, openEngine, publish, record } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { snapshot } from '../helpers/snapshot.js';
import { until } from '../helpers/wait.js';

const MARKER = 'SECRET-MARKER';
const KEY = 'cdn-signing-key';
const tokenAt = (ms: number) => `${MARKER}-${Math.floor(ms / 2000)}`;
const sign = (path: string, exp: number) => createHmac('sha256', KEY).update(`${path}:${exp}`).digest('hex');

let origin: TestOrigin;
let engine: (CacheEngine & { factory: IDBFactory }) | undefined;
const refused = { token: 0, expired: 0 };
beforeEach(async () => {
  origin = await TestOrigin.start();
  refused.token = refused.expired = 0;
  origin.faults.push((req, res) => {
    const url = new URL(req.url!, origin.url);
    if (!url.pathname.startsWith('/media/')) return false;
    // The token of this 2 s window or of the one before (a token minted just before a rotation
    // arrives just after it on a busy machine: a CDN allows that much); older ones are refused.
    if (![tokenAt(Date.now()), tokenAt(Date.now() - 2000)].some((t) => req.headers.authorization === `Bearer ${t}`)) return (refused.token++, res.writeHead(401).end(), true);
    const exp = Number(url.searchParams.get('exp'));
    if (!(exp > Date.now()) || url.searchParams.get('sig') !== sign(url.pathname, exp)) return (refused.expired++, res.writeHead(403).end(), true);
    return false; // the file, with Range
  });
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

/** The app's hook: the current token (now and then a stale one, as a cached token goes stale), and the media URL signed for 3 s. */
const appAuthorize = (calls: AuthorizeRequest[], staleEvery = 0) => (r: AuthorizeRequest) => {
  calls.push(r);
  const stale = staleEvery > 0 && r.attempt === 0 && calls.length % staleEvery === 0;
  const now = Date.now() - (stale ? 4000 : 0);
  const url = new URL(r.url);
  if (r.kind === 'media') {
    const exp = now + 3000;
    url.searchParams.set('exp', String(exp));
    url.searchParams.set('sig', sign(url.pathname, exp));
  }
  return { url: url.href, headers: { Authorization: `Bearer ${tokenAt(now)}` } };
};

const tracks = Array.from({ length: 60 }, (_, i) => ({ id: `t${i}`, body: bytesOf(`t${i}`, CHUNK * 4) }));
const size = tracks.reduce((n, t) => n + t.body.length, 0);
const mediaBytes = () => origin.log.filter((r) => r.path.startsWith('/media/')).reduce((n, r) => n + r.bytes, 0);

describe('authorize(), media requests', () => {
  it('a 60-track sync lasting ≥ 20 s across rotating tokens and expiring signed URLs completes, 0 failed, each byte fetched once, no secret stored or emitted', async () => {
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: tracks.map((t) => t.id), offline: true }] });
    const calls: AuthorizeRequest[] = [];
    const bytesPerSecond = Math.floor(size / 26);
    const e = (engine = await openEngine(origin, { authorize: appAuthorize(calls, 7), throttle: { bytesPerSecond } }));
    const events: unknown[] = [];
    for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset'] as const) e.on(type, (x) => events.push(x));
    const started = Date.now();
    await e.sync();
    await e.idle();
    const seconds = (Date.now() - started) / 1000;
    const status = await e.status();
    const media = calls.filter((c) => c.kind === 'media');
    console.log(
      `[authorize] ${tracks.length} tracks in ${seconds.toFixed(1)} s: ${Math.floor(seconds / 2)} token rotations and ${Math.floor(seconds / 3)} URL expiries crossed; ` +
        `${media.length} media authorizations (${media.filter((c) => c.attempt === 1).length} asked again after a 401); refused ${refused.token} for a stale token, ${refused.expired} expired; ` +
        `bytes fetched ÷ bytes missing = ${(mediaBytes() / size).toFixed(3)}`,
    );
    expect(seconds).toBeGreaterThanOrEqual(24); // ≥ 8 expiries of a 3 s signed URL
    expect(refused.token).toBeGreaterThan(0); // stale tokens were refused and refreshed …
    expect(media.filter((c) => c.attempt === 1).length).toBe(refused.token); // … each with one more call
    expect(status.tracks.filter((t) => t.state !== 'complete')).toEqual([]);
    expect(events.filter((x) => (x as { code?: string }).code)).toEqual([]); // no track-failed
    expect(mediaBytes()).toBe(size);
    const stored = JSON.stringify(await snapshot(e.factory));
    expect(stored).not.toContain(MARKER);
    expect(stored).not.toContain('sig=');
    expect(JSON.stringify(events)).not.toContain(MARKER);
  }, 60_000);

  it('authorize failing mid-sync pauses the queue unauthorized, keeps every verified chunk, and completes after it recovers and resume()', async () => {
    const some = tracks.slice(0, 8);
    const total = some.reduce((n, t) => n + t.body.length, 0);
    await publish(origin, { tracks: some, playlists: [{ id: 'p', trackIds: some.map((t) => t.id), offline: true }] });
    const calls: AuthorizeRequest[] = [];
    const app = appAuthorize(calls);
    let signedIn = true;
    const e = (engine = await openEngine(origin, {
      throttle: { bytesPerSecond: Math.floor(total / 4), maxConcurrent: 2 },
      authorize: (r) => {
        if (!signedIn && r.kind === 'media') throw new Error('the session ended');
        return app(r);
      },
    }));
    const states = record<EngineState>(e, 'state');
    const failed = record<{ trackId: string }>(e, 'track-failed');
    await e.sync();
    await until(async () => (await e.status()).tracks.filter((t) => t.state === 'complete').length >= 2, 10_000, 'two tracks');
    signedIn = false;
    await until(() => states.some((s) => s.state === 'paused' && s.reason === 'unauthorized'), 10_000, 'the unauthorized pause');
    const kept = (await e.status()).tracks.reduce((n, t) => n + t.bytesDone, 0);
    expect(kept).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    signedIn = true;
    await e.resume();
    await e.idle();
    const status = await e.status();
    expect(status.tracks.every((t) => t.state === 'complete')).toBe(true);
    expect(mediaBytes()).toBeLessThanOrEqual(total + 2 * 4 * CHUNK); // at most the pieces open when it paused
    expect(failed).toEqual([]);
  }, 60_000);

  it('a URL on a foreign origin from authorize() is refused origin-not-allowed, nothing fetched there', async () => {
    await publish(origin, { tracks: tracks.slice(0, 1), playlists: [{ id: 'p', trackIds: ['t0'], offline: true }] });
    const e = (engine = await openEngine(origin, { authorize: (r) => (r.kind === 'media' ? { url: 'https://evil.example/t0.mp3?sig=x' } : undefined) }));
    origin.faults.length = 0;
    const failed = record<{ trackId: string; code: string }>(e, 'track-failed');
    await e.sync();
    await e.idle();
    expect(failed).toEqual([expect.objectContaining({ trackId: 't0', code: 'origin-not-allowed' })]);
  });
});

describe('authorize(), a track the origin refuses for itself (a region lock)', () => {
  const some = tracks.slice(0, 8);
  const tokenHook = () => ({ headers: { Authorization: `Bearer ${tokenAt(Date.now())}` } });
  const requestsFor = (id: string) => origin.log.filter((r) => r.path === `/media/${id}`);

  it('ends that track alone unauthorized while the origin serves the others: the queue never pauses, every other track completes', async () => {
    await publish(origin, { tracks: some, playlists: [{ id: 'p', trackIds: some.map((t) => t.id), offline: true }] });
    origin.faults.length = 0;
    origin.faults.push((req, res) => (req.url!.startsWith('/media/t2') ? (res.writeHead(403).end(), true) : false));
    const e = (engine = await openEngine(origin, { authorize: tokenHook, throttle: { maxConcurrent: 2 } }));
    const states = record<EngineState>(e, 'state');
    const failed = record<{ trackId: string; code: string; message: string }>(e, 'track-failed');
    await e.sync();
    await e.idle();
    const status = await e.status();
    expect(failed).toEqual([expect.objectContaining({ trackId: 't2', code: 'unauthorized' })]);
    expect(failed[0]!.message).toContain('region lock');
    expect(states.filter((s) => s.state === 'paused')).toEqual([]);
    expect(status.tracks.filter((t) => t.state === 'complete').map((t) => t.id).sort()).toEqual(some.map((t) => t.id).filter((id) => id !== 't2').sort());
    expect(requestsFor('t2').length).toBeLessThanOrEqual(2); // asked once, and once more after authorize() was asked again
    expect(mediaBytes()).toBe(some.filter((t) => t.id !== 't2').reduce((n, t) => n + t.body.length, 0));
  }, 30_000);

  it('the last track of its origin refused, no download left to judge by: one byte of a stored track is asked with fresh authorization; accepted, the refused track ends alone, never paused', async () => {
    const four = some.slice(0, 4);
    await publish(origin, { tracks: four, playlists: [{ id: 'p', trackIds: four.map((t) => t.id), offline: true }] });
    origin.faults.length = 0;
    origin.faults.push((req, res) => (req.url!.startsWith('/media/t3') ? (res.writeHead(403).end(), true) : false));
    const calls: AuthorizeRequest[] = [];
    const e = (engine = await openEngine(origin, { authorize: (r) => (calls.push(r), tokenHook()), throttle: { maxConcurrent: 1 } }));
    const states = record<EngineState>(e, 'state');
    const failed = record<{ trackId: string; code: string }>(e, 'track-failed');
    await e.sync();
    await e.idle();
    expect(failed).toEqual([expect.objectContaining({ trackId: 't3', code: 'unauthorized' })]);
    expect(states.filter((s) => s.state === 'paused')).toEqual([]);
    const probes = origin.log.filter((r) => r.range === 'bytes=0-0');
    expect(probes).toHaveLength(1);
    expect(['/media/t0.mp3', '/media/t1.mp3', '/media/t2.mp3']).toContain(probes[0]!.path);
    expect(calls.filter((c) => c.kind === 'media' && c.url.endsWith(probes[0]!.path)).length).toBeGreaterThan(1); // the probe asked authorize() too
    expect((await e.status()).tracks.filter((t) => t.state === 'complete')).toHaveLength(3);
  }, 30_000);

  it('the same, but the session ended meanwhile: the one-byte question is refused too and the queue pauses unauthorized, nothing ended', async () => {
    const two = some.slice(0, 2);
    await publish(origin, { tracks: two, playlists: [{ id: 'p', trackIds: two.map((t) => t.id), offline: true }] });
    origin.faults.length = 0;
    let t1Refusals = 0;
    origin.faults.push((req, res) => {
      if (!req.url!.startsWith('/media/')) return false;
      // t1 is refused; after its second refusal the session ends for every track.
      if (req.url!.startsWith('/media/t1')) t1Refusals++;
      else if (t1Refusals < 2) return false;
      res.writeHead(401).end();
      return true;
    });
    const e = (engine = await openEngine(origin, { authorize: tokenHook, throttle: { maxConcurrent: 1 } }));
    const states = record<EngineState>(e, 'state');
    const failed = record<{ trackId: string }>(e, 'track-failed');
    await e.sync();
    await e.idle();
    expect(states.filter((s) => s.state === 'paused').map((s) => (s as { reason?: string }).reason)).toEqual(['unauthorized']);
    expect(failed).toEqual([]);
    expect(origin.log.filter((r) => r.range === 'bytes=0-0').map((r) => r.path)).toEqual(['/media/t0.mp3', '/media/t0.mp3']); // asked, and once more after authorize() was asked again
  }, 30_000);

  it('a session refused for every track pauses the queue unauthorized after at most 3 tracks were refused, none ended; resume() completes them all', async () => {
    await publish(origin, { tracks: some, playlists: [{ id: 'p', trackIds: some.map((t) => t.id), offline: true }] });
    origin.faults.length = 0;
    let signedOut = false;
    const refusedTracks = new Set<string>();
    origin.faults.push((req, res) => (signedOut && req.url!.startsWith('/media/') ? (refusedTracks.add(req.url!), res.writeHead(401).end(), true) : false));
    const total = some.reduce((n, t) => n + t.body.length, 0);
    const e = (engine = await openEngine(origin, { authorize: tokenHook, throttle: { maxConcurrent: 2, bytesPerSecond: Math.floor(total / 3) } }));
    const states = record<EngineState>(e, 'state');
    const failed = record<{ trackId: string }>(e, 'track-failed');
    await e.sync();
    await until(async () => (await e.status()).tracks.some((t) => t.state === 'complete'), 10_000, 'a first track');
    signedOut = true;
    await until(() => states.some((s) => s.state === 'paused' && s.reason === 'unauthorized'), 10_000, 'the unauthorized pause');
    expect(refusedTracks.size).toBeGreaterThan(0);
    expect(refusedTracks.size).toBeLessThanOrEqual(3);
    expect(failed).toEqual([]);
    signedOut = false;
    await e.resume();
    await e.idle();
    expect((await e.status()).tracks.every((t) => t.state === 'complete')).toBe(true);
    expect(failed).toEqual([]);
  }, 30_000);
});
