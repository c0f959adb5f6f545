// Issue 10: the engine stays correct when calls overlap, and every error it lets out has a code.
import { IDBFactory } from 'fake-indexeddb';
import { wrap, type IDBPDatabase } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeadingEngine } from '../../src/engine/CacheEngine.js';
import type { CacheEngine, EngineState } from '../../src/engine/index.js';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish, record } from '../helpers/catalog.js';
import { corruptChunks, countChunkHashes } from '../helpers/damage.js';
import { auditChunks } from '../helpers/storeAudit.js';
import { TestOrigin } from '../helpers/origin.js';
import { until } from '../helpers/wait.js';

let origin: TestOrigin;
let engine: (CacheEngine & { factory: IDBFactory }) | undefined;

beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

const media = (path: string) => origin.log.filter((r) => r.path === path);

describe('overlapping calls', () => {
  it('finding 1: a track re-published while it downloads ends complete with the new content, fetched from its new URL', async () => {
    const old = bytesOf('t1-old', CHUNK * 8);
    const fresh = bytesOf('t1-new', CHUNK * 6);
    origin.pace = { bytes: 8 * 1024, everyMs: 5 }; // the first download is still running when the re-publish arrives
    await publish(origin, { tracks: [{ id: 't1', body: old }], playlists: [{ id: 'p', trackIds: ['t1'], offline: true }] });
    const e = (engine = await openEngine(origin));
    const completed = record<{ trackId: string }>(e, 'track-complete');
    await e.sync();
    await until(() => media('/media/t1.mp3').length > 0, 5000, 'the first download to start');
    await publish(origin, { tracks: [{ id: 't1', body: fresh, path: '/media/t1-v2.mp3' }], playlists: [{ id: 'p', trackIds: ['t1'], offline: true }] });
    await e.sync();
    origin.pace = undefined;
    await until(async () => (await e.status()).tracks[0]!.state === 'complete', 10_000, 't1 complete');
    await e.idle();
    const blob = await e.getTrack('t1');
    expect(Buffer.from(await blob.arrayBuffer()).equals(fresh)).toBe(true);
    expect(media('/media/t1-v2.mp3').length).toBeGreaterThan(0);
    expect((await e.status()).queue).toEqual([]);
    expect(completed.at(-1)).toEqual({ trackId: 't1' });
    // The old content's chunks, also those its stopped download wrote after the new manifest, are freed.
    const oldChunks = new Set(chunkDigests(old));
    expect([...(await auditChunks(e.factory)).present].filter((d) => oldChunks.has(d))).toEqual([]);
  });

  it('a playlist released while its track downloads keeps none of the chunks that download writes after the release (they were verified, waiting for their batch)', async () => {
    const body = bytesOf('released', CHUNK * 12);
    await publish(origin, { tracks: [{ id: 't', body }, { id: 'other', body: bytesOf('other', CHUNK * 2) }], playlists: [{ id: 'p', trackIds: ['t'] }, { id: 'q', trackIds: ['other'] }] });
    origin.pace = { bytes: 16 * 1024, everyMs: 2 }; // a chunk verifies every ~8 ms; a batch waits up to 200 ms
    const e = (engine = await openEngine(origin));
    await e.sync();
    await e.setOffline('p', true);
    const digests = new Set(chunkDigests(body));
    const verified = new Set<string>();
    // Released once the download has verified chunks that wait for their batch's write.
    await until(async () => (await e.status()).tracks.find((t) => t.id === 't')!.bytesDone === 0 && media('/media/t.mp3').reduce((n, r) => n + r.bytes, 0) >= 3 * CHUNK, 5000, 'chunks of t verified, not yet written');
    await e.setOffline('p', false);
    await e.setOffline('q', true); // the queue goes on with another playlist
    await e.idle();
    const stored = await auditChunks(e.factory);
    for (const d of stored.present) if (digests.has(d)) verified.add(d);
    expect(verified.size, 'chunks of the released track still stored').toBe(0);
    expect((await e.status()).tracks.find((t) => t.id === 't')).toMatchObject({ state: 'online-only', bytesDone: 0 });
  });

  it('finding 2: verify() and sync() run one at a time; the sync never shows idle while it runs and its audit stays in force', async () => {
    const tracks = ['a', 'b', 'c', 'd'].map((id) => ({ id, body: bytesOf(id, CHUNK * 16) }));
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: tracks.map((t) => t.id), offline: true }], epoch: 1 });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: tracks.map((t) => t.id), offline: true }], epoch: 2 });
    const e = (engine = await openEngine(origin, { indexedDB: first.factory }));
    const states = record<EngineState>(e, 'state');
    const hashes = countChunkHashes();
    try {
      const verifying = e.verify();
      const syncing = e.sync();
      const [audit, report] = await Promise.all([verifying, syncing]);
      // From the moment the sync starts, nothing reports idle until it is done.
      const fromSync = states.slice(states.findIndex((s) => s.state === 'syncing'));
      expect(fromSync.slice(0, -1).filter((s) => s.state === 'idle'), JSON.stringify(states)).toEqual([]);
      expect(audit.chunksChecked).toBe(64);
      expect(report.kind).toBe('security-epoch');
      expect(report.kept).toEqual({ tracks: 4, bytes: CHUNK * 64 });
      // Each full audit hashed every chunk once: verify's, then the security-epoch's.
      expect(hashes.count).toBe(128);
    } finally {
      hashes.restore();
    }
    await e.close();
    // The security-epoch audit was marked complete by the sync that ran it, not by verify().
    const db = (await wrap(first.factory.open('reprise'))) as unknown as IDBPDatabase;
    const meta = (await db.get('meta', 'state')) as { audit: { id: string; complete: boolean } };
    db.close();
    expect(meta.audit).toMatchObject({ id: expect.stringMatching(/^2:k1:/), complete: true });
  });

  it('finding 7: one corrupt chunk reported by several tabs at once is hashed and deleted once', async () => {
    const body = bytesOf('t1', CHUNK * 4);
    await publish(origin, { tracks: [{ id: 't1', body }], playlists: [{ id: 'p', trackIds: ['t1'], offline: true }] });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    const digest = chunkDigests(body)[2]!;
    await corruptChunks(first.factory, [digest]);
    const e = (engine = await openEngine(origin, { indexedDB: first.factory }));
    await e.pause();
    const hashes = countChunkHashes();
    try {
      const leader = e as unknown as LeadingEngine; // what the worker's leading tab holds
      await Promise.all([1, 2, 3, 4].map(() => leader.playbackReport({ type: 'corrupt', trackId: 't1', digest })));
      expect(hashes.count).toBe(1);
    } finally {
      hashes.restore();
    }
    expect((await e.status()).tracks[0]).toMatchObject({ state: expect.not.stringMatching('complete') });
  });
});

describe('errors keep their codes (finding 6)', () => {
  it('a lowered limits option does not hold back a library whose manifest this device accepted', async () => {
    const tracks = ['a', 'b', 'c'].map((id) => ({ id, body: bytesOf(id, CHUNK * 2) }));
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: ['a', 'b', 'c'], offline: true }] });
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    const e = (engine = await openEngine(origin, { indexedDB: first.factory, limits: { maxTracks: 2 } }));
    const blob = await e.getTrack('a');
    expect(blob.size).toBe(CHUNK * 2);
    // A new manifest over the limit is still refused, naming the limit.
    await expect(e.sync()).rejects.toMatchObject({ name: 'manifest-invalid', message: expect.stringContaining('maxTracks') });
    expect((await e.getTrack('b')).size).toBe(CHUNK * 2);
  });

  it('another connection upgrading the database closes the engine with a stable code; nothing is recorded as a track failure', async () => {
    const tracks = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 8) }));
    origin.pace = { bytes: 8 * 1024, everyMs: 5 };
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }] });
    const e = (engine = await openEngine(origin));
    const failed = record<{ code: string }>(e, 'track-failed');
    const states = record<EngineState>(e, 'state');
    await e.sync();
    await until(() => origin.log.some((r) => r.path.startsWith('/media/')), 5000, 'a download to start');
    // A newer app version opens the same database with a higher version (a schema upgrade).
    const request = e.factory.open('reprise', 99);
    const upgraded = (await wrap(request)) as unknown as IDBPDatabase;
    await until(() => states.some((s) => s.state === 'closed'), 5000, 'the engine to close');
    const error = await e.sync().catch((x: unknown) => x);
    expect(ERROR_CODES).toContain((error as Error).name);
    expect((error as Error).message).toMatch(/upgraded the offline store; reload/);
    expect(failed).toEqual([]);
    const records = (await upgraded.getAll('tracks')) as { failure?: unknown }[];
    upgraded.close();
    expect(records.filter((r) => r.failure)).toEqual([]);
  });
});

describe('reset reports count what was damaged (found by the demo)', () => {
  async function library() {
    const tracks = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 4) }));
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }], epoch: 1 });
    const e = await openEngine(origin);
    await e.sync();
    await e.idle();
    return { e, tracks };
  }

  it('chunks deleted from the store while the engine runs are counted missing by the next reset', async () => {
    const { e, tracks } = await library();
    engine = e;
    const db = (await wrap(e.factory.open('reprise'))) as unknown as IDBPDatabase;
    for (const d of chunkDigests(tracks[1]!.body).slice(0, 3)) await db.delete('chunks', d);
    db.close();
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }], epoch: 2 });
    const report = await e.sync();
    expect(report).toMatchObject({ kind: 'security-epoch', missingChunks: 3, corruptChunks: 0, kept: { tracks: 1 }, toFetch: { tracks: 1, bytes: 3 * CHUNK } });
  });

  it('damage found under an accepted manifest is to fetch, not held back', async () => {
    const { e, tracks } = await library();
    await e.close();
    await corruptChunks(e.factory, [chunkDigests(tracks[0]!.body)[1]!]);
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: ['a', 'b'], offline: true }], epoch: 2 });
    engine = await openEngine(origin, { indexedDB: e.factory });
    const report = await engine.sync();
    expect(report).toMatchObject({ kind: 'security-epoch', corruptChunks: 1, heldBack: { tracks: 0 }, toFetch: { tracks: 1, bytes: CHUNK } });
  });
});

describe('storage-lost order (found by the demo)', () => {
  it("a device with no play history fetches the playlist the service says was played last first", async () => {
    const tracks = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK) }));
    await publish(origin, {
      tracks,
      playlists: [
        { id: 'older', trackIds: ['a'], offline: true },
        { id: 'newer', trackIds: ['b'], offline: true },
      ],
      patch: (m) => {
        const [older, newer] = m.playlists as { lastPlayedAt?: string }[];
        older!.lastPlayedAt = '2026-11-01T10:00:00Z';
        newer!.lastPlayedAt = '2026-11-28T10:00:00Z';
      },
    });
    const e = (engine = await openEngine(origin, { throttle: { maxConcurrent: 1 } }));
    expect((await e.sync()).kind).toBe('storage-lost');
    await e.idle();
    expect(origin.log.filter((r) => r.path.startsWith('/media/')).map((r) => r.path)).toEqual(['/media/b.mp3', '/media/a.mp3']);
  });
});
