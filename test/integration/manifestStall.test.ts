// DESIGN.md "Throttled resync": a stall is a transient failure, never a hang. The manifest's own
// request (the root, format 2's parts and chunk lists) is bounded like a media request: an origin
// that takes it and never answers, or stops sending its body halfway, fails sync() `network`
// within stallTimeoutMs, and close() during it settles.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { CHUNK, bytesOf, openEngine, publish } from '../helpers/catalog.js';
import { ManualClock } from '../helpers/ManualClock.js';
import { TestOrigin } from '../helpers/origin.js';
import { advanceUntil } from '../helpers/wait.js';

let origin: TestOrigin;
let engine: CacheEngine | undefined;
beforeEach(async () => {
  origin = await TestOrigin.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

const STALL_MS = 5_000;

async function setup() {
  const clock = new ManualClock();
  await publish(origin, { tracks: [{ id: 't', body: bytesOf('t', CHUNK) }], playlists: [{ id: 'p', trackIds: ['t'], offline: true }] });
  engine = await openEngine(origin, { clock, random: () => 0.5, stallTimeoutMs: STALL_MS });
  return { clock, engine };
}

/** Settles (true) or not yet (false) by the time the manual clock reached `ms`. */
async function settledBy(clock: ManualClock, p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  try {
    await advanceUntil(clock, () => done, { stepMs: 250, maxMs: ms });
  } catch {
    return false;
  }
  return true;
}

describe('a manifest request never hangs', () => {
  it('an origin that takes the manifest request and never answers: sync() rejects network (stalled) within stallTimeoutMs', async () => {
    const { clock, engine: e } = await setup();
    origin.faults.push((req) => req.url!.startsWith('/manifest')); // taken, never answered
    const sync = e.sync();
    sync.catch(() => {});
    expect(await settledBy(clock, sync, STALL_MS + 1000)).toBe(true);
    await expect(sync).rejects.toMatchObject({ name: 'network', details: { stalled: true } });
  });

  it('a manifest body that stops halfway: sync() rejects network (stalled); close() during the wait settles', async () => {
    const { clock, engine: e } = await setup();
    origin.faults.push((req, res, file) => {
      if (!req.url!.startsWith('/manifest')) return false;
      res.writeHead(200, { 'content-type': 'application/jose', 'content-length': String(file!.length) });
      res.write(file!.subarray(0, file!.length >> 1)); // half of it, then nothing
      return true;
    });
    const sync = e.sync();
    sync.catch(() => {});
    expect(await settledBy(clock, sync, STALL_MS + 1000)).toBe(true);
    await expect(sync).rejects.toMatchObject({ name: 'network', details: { stalled: true } });
    const again = e.sync();
    again.catch(() => {});
    const closed = e.close();
    engine = undefined;
    expect(await settledBy(clock, closed, STALL_MS + 1000)).toBe(true);
  });
});
