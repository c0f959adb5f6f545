// Overlapping calls, at random: an app calls the engine without waiting for one call before the
// next (a listener tapping switches, a player asking for tracks, a reconnect syncing). Whatever
// the overlap, every call settles with a result or a documented code, the device's choices end
// as the calls made them in the order they were made (state-changing operations run one at a
// time), every offline track ends complete and byte-identical, and the store holds only verified
// chunks of content something still needs.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { isRepriseError } from '../../src/errors/isRepriseError.js';
import { CHUNK, bytesOf, chunkDigests, openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { auditChunks } from '../helpers/storeAudit.js';
import { figure, SOAK } from './scale.js';

const RUNS = Number(process.env.RELIABILITY_OVERLAP_RUNS ?? (SOAK ? 1000 : 60));
/** A call that has not settled this long after the last one was made is a hang. */
const SETTLE_MS = 20_000;

const TRACKS = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => ({ id, body: bytesOf(`overlap-${id}`, CHUNK * (2 + (i % 3)) + 17 * i) }));
// `c` is in two playlists: equal content is stored once and kept while either needs it.
const PLAYLISTS = [
  { id: 'p1', trackIds: ['a', 'b', 'c'] },
  { id: 'p2', trackIds: ['c', 'd'] },
  { id: 'p3', trackIds: ['e', 'f'] },
];
const playlistIds = PLAYLISTS.map((p) => p.id);
const trackIds = TRACKS.map((t) => t.id);

type Op =
  | { op: 'setOffline'; playlist: string; offline: boolean }
  | { op: 'remove'; playlist: string }
  | { op: 'sync' }
  | { op: 'verify' }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'prioritize'; track: string }
  | { op: 'getTrack'; track: string }
  | { op: 'status' }
  | { op: 'idle' }
  | { op: 'setThrottle'; maxConcurrent: number }
  | { op: 'clear' }
  /** Not a call: the service re-publishes a track with new content at a new URL (same epoch). */
  | { op: 'republish'; track: string };
type Step = Op & { awaited: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('setOffline' as const), playlist: fc.constantFrom(...playlistIds), offline: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), playlist: fc.constantFrom(...playlistIds) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'verify' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'resume' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prioritize' as const), track: fc.constantFrom(...trackIds) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('getTrack' as const), track: fc.constantFrom(...trackIds) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'status' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'idle' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setThrottle' as const), maxConcurrent: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('republish' as const), track: fc.constantFrom(...trackIds) }) },
);
const programArb = fc.array(fc.tuple(opArb, fc.boolean()).map(([op, awaited]) => ({ ...op, awaited }) as Step), { minLength: 3, maxLength: 14 });

function call(engine: CacheEngine, step: Exclude<Op, { op: 'republish' }>): Promise<unknown> {
  switch (step.op) {
    case 'setOffline':
      return engine.setOffline(step.playlist, step.offline);
    case 'remove':
      return engine.remove(step.playlist);
    case 'sync':
      return engine.sync();
    case 'verify':
      return engine.verify();
    case 'pause':
      return engine.pause();
    case 'resume':
      return engine.resume();
    case 'prioritize':
      return engine.prioritize(step.track);
    case 'getTrack':
      return engine.getTrack(step.track).then((blob) => blob.arrayBuffer());
    case 'status':
      return engine.status();
    case 'idle':
      return engine.idle();
    case 'setThrottle':
      return engine.setThrottle({ maxConcurrent: step.maxConcurrent });
    case 'clear':
      return engine.clear();
  }
}

/** Codes a call may end with on a healthy origin, by what it asked. */
function allowedFailure(step: Op, code: string): boolean {
  // A track not stored yet: getTrack() says so (and queues it first).
  if (step.op === 'getTrack') return code === 'not-cached';
  return false;
}

let origin: TestOrigin;
beforeAll(async () => {
  origin = await TestOrigin.start();
  // Bodies paced so that downloads are still running when the next calls come.
  origin.pace = { bytes: 16 * 1024, everyMs: 1 };
});
let published = 0;
afterAll(() => origin.close());

async function runProgram(program: Step[]): Promise<string[]> {
  const violations: string[] = [];
  // Each program starts from the first catalog; a re-publish gives a track new bytes at a new URL.
  const current = new Map(TRACKS.map((t) => [t.id, { id: t.id, body: t.body, path: `/media/${t.id}.mp3` }]));
  const republish = () => publish(origin, { tracks: [...current.values()], playlists: PLAYLISTS });
  await republish();
  const engine = await openEngine(origin, { throttle: { maxConcurrent: 2 } });
  try {
    await engine.sync();
    const offline = new Map(playlistIds.map((id) => [id, false]));
    const asked = new Set<string>(); // tracks a getTrack() or prioritize() may have stored as played
    const pending: { step: Op; index: number; done: Promise<{ ok: true } | { ok: false; error: unknown }> }[] = [];
    for (const [index, step] of program.entries()) {
      if (step.op === 'republish') {
        const n = ++published;
        const old = current.get(step.track)!;
        current.set(step.track, { id: step.track, body: bytesOf(`overlap-${step.track}-v${n}`, old.body.length + 1000), path: `/media/${step.track}-v${n}.mp3` });
        await republish();
        continue;
      }
      if (step.op === 'setOffline') offline.set(step.playlist, step.offline);
      if (step.op === 'remove') offline.set(step.playlist, false);
      if (step.op === 'clear') for (const id of playlistIds) offline.set(id, false);
      if (step.op === 'getTrack' || step.op === 'prioritize') asked.add(step.track);
      const done = call(engine, step).then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      pending.push({ step, index, done });
      if (step.awaited) await done;
    }
    const hung = Symbol('hung');
    for (const { step, index, done } of pending) {
      const outcome = await Promise.race([done, new Promise<typeof hung>((r) => setTimeout(() => r(hung), SETTLE_MS).unref())]);
      const name = `call ${index} ${JSON.stringify(step)}`;
      if (outcome === hung) violations.push(`${name} did not settle within ${SETTLE_MS} ms`);
      else if (!outcome.ok) {
        const { error } = outcome;
        if (!isRepriseError(error) || !(ERROR_CODES as readonly string[]).includes(error.name)) violations.push(`${name} threw without a documented code: ${String(error)}`);
        else if (!allowedFailure(step, error.name)) violations.push(`${name} rejected ${error.name}: ${error.message}`);
      }
    }
    if (violations.length) return violations;

    await engine.sync(); // the latest catalog in force
    await engine.resume();
    await engine.idle();
    const status = await engine.status();
    if (status.state.state !== 'idle') violations.push(`state ${JSON.stringify(status.state)} after idle(), not idle`);
    for (const [id, want] of offline) {
      const got = status.playlists.find((p) => p.id === id)?.offline;
      if (got !== want) violations.push(`playlist ${id} offline ${got}, the calls in their order made it ${want}`);
    }
    const neededTracks = new Set(PLAYLISTS.filter((p) => offline.get(p.id)).flatMap((p) => p.trackIds));
    for (const id of neededTracks) {
      const track = status.tracks.find((t) => t.id === id);
      if (track?.state !== 'complete') {
        violations.push(`track ${id} of an offline playlist is ${track?.state}, not complete`);
        continue;
      }
      const bytes = Buffer.from(await (await engine.getTrack(id)).arrayBuffer());
      if (!bytes.equals(current.get(id)!.body)) violations.push(`getTrack(${id}) differs from the origin's latest bytes`);
    }
    const stored = await auditChunks(engine.factory);
    if (stored.bad.length) violations.push(`${stored.bad.length} stored chunks do not match their digest`);
    const keep = new Set([...current.values()].filter((t) => neededTracks.has(t.id) || asked.has(t.id)).flatMap((t) => chunkDigests(t.body)));
    const extra = [...stored.present].filter((d) => !keep.has(d));
    if (extra.length) {
      const owners = [...new Set(extra.map((d) => ([...current.values()].find((t) => chunkDigests(t.body).includes(d))?.id ?? 'an older content')))];
      const states = owners.map((id) => `${id}: ${JSON.stringify(status.tracks.find((t) => t.id === id))}`);
      violations.push(`${extra.length} chunks stored that no offline playlist, and no track asked for, needs (of ${states.join('; ')})`);
    }
    for (const d of [...current.values()].filter((t) => neededTracks.has(t.id)).flatMap((t) => chunkDigests(t.body))) {
      if (!stored.verified.has(d)) violations.push(`chunk ${d} of an offline track is not stored`);
    }
  } finally {
    await engine.close();
  }
  return violations;
}

const step = (op: Op, awaited: boolean): Step => ({ ...op, awaited });
/** Programs that found a bug, run first on every run. */
const FOUND: Step[][] = [
  // 2026-12-01 (fails on afbb3b7): p1 released while its download had verified chunks waiting for
  // their batch; they were written after the release freed p1's content, and stayed.
  [
    step({ op: 'sync' }, true),
    step({ op: 'setOffline', playlist: 'p1', offline: true }, false),
    step({ op: 'resume' }, false),
    step({ op: 'sync' }, false),
    step({ op: 'remove', playlist: 'p2' }, false),
    step({ op: 'setOffline', playlist: 'p1', offline: false }, false),
    step({ op: 'getTrack', track: 'b' }, false),
    step({ op: 'sync' }, true),
    step({ op: 'getTrack', track: 'd' }, false),
  ],
  // The first fix of that (not committed) lost a track: p2 released, then offline again while its
  // stopped download waited for the content to be freed; taken for running, it was never queued.
  [
    step({ op: 'setOffline', playlist: 'p2', offline: true }, true),
    step({ op: 'getTrack', track: 'd' }, true),
    step({ op: 'sync' }, false),
    step({ op: 'sync' }, true),
    step({ op: 'idle' }, false),
    step({ op: 'remove', playlist: 'p3' }, false),
    step({ op: 'remove', playlist: 'p2' }, false),
    step({ op: 'sync' }, false),
    step({ op: 'setOffline', playlist: 'p1', offline: true }, false),
    step({ op: 'resume' }, true),
    step({ op: 'setOffline', playlist: 'p2', offline: true }, true),
    step({ op: 'pause' }, true),
  ],
];

describe('overlapping calls at random', () => {
  it(`${RUNS} programs of up to 14 calls (first the ${FOUND.length} that found bugs, then at random), each awaited or not: every call settles with a result or a documented code; choices as called; offline tracks complete and byte-identical; only needed, verified chunks stored`, async () => {
    let programs = 0;
    let calls = 0;
    let concurrent = 0;
    await fc.assert(
      fc.asyncProperty(programArb, async (program) => {
        programs++;
        calls += program.length;
        concurrent += program.filter((s) => !s.awaited).length;
        const violations = await runProgram(program);
        expect(violations).toEqual([]);
      }),
      // A failure prints its seed and path: RELIABILITY_SEED=<seed> RELIABILITY_OVERLAP_PATH=<path> replays it.
      { numRuns: RUNS, examples: FOUND.map((p) => [p] as [Step[]]), seed: Number(process.env.RELIABILITY_SEED ?? 15), endOnFailure: true, ...(process.env.RELIABILITY_OVERLAP_PATH ? { path: process.env.RELIABILITY_OVERLAP_PATH } : {}) },
    );
    figure(`overlapping calls: ${programs} programs, ${calls} calls (${concurrent} not awaited before the next), 0 violations`);
  }, SOAK ? 3_600_000 : 180_000);
});
