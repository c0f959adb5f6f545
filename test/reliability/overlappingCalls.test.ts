// Overlapping calls, at random, in Node (fake-indexeddb): an app calls the engine without waiting
// for one call before the next (a listener tapping switches, a player asking for tracks, a
// reconnect syncing). Whatever the overlap, every call settles with a result or a documented
// code, the device's choices end as the calls made them in the order they were made
// (state-changing operations run one at a time), every offline track ends complete and
// byte-identical, and the store holds only verified chunks of content something still needs.
// The programs and the checks: overlapPrograms.ts (also run in Chromium: browserOverlappingCalls.test.ts).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { isRepriseError } from '../../src/errors/isRepriseError.js';
import { openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { auditChunks } from '../helpers/storeAudit.js';
import { corruptChunks, storedDigests } from '../helpers/damage.js';
import { BACKOFF, Expected, FOUND, PLAYLISTS, type Step, callOf, dropMedia, judgeRejection, programWithDamageArb, runPrograms, trackIds } from './overlapPrograms.js';
import { SOAK } from './scale.js';

const RUNS = Number(process.env.RELIABILITY_OVERLAP_RUNS ?? (SOAK ? 1000 : 60));
/** A call that has not settled this long after the last one was made is a hang. */
const SETTLE_MS = 20_000;

let origin: TestOrigin;
/** An `outage` step in force: the origin drops media connections. */
let outage = false;
beforeAll(async () => {
  origin = await TestOrigin.start();
  // Bodies paced so that downloads are still running when the next calls come.
  origin.pace = { bytes: 16 * 1024, everyMs: 1 };
  origin.faults.push(dropMedia(() => outage));
});
let published = 0;
afterAll(() => origin.close());

async function runProgram(program: Step[]): Promise<string[]> {
  const violations: string[] = [];
  const expected = new Expected();
  // Each program starts from the first catalog; a re-publish gives a track new bytes at a new URL.
  const paths = new Map(trackIds.map((id) => [id, `/media/${id}.mp3`]));
  const republish = () => publish(origin, { tracks: trackIds.map((id) => ({ id, body: expected.current.get(id)!, path: paths.get(id)! })), playlists: PLAYLISTS, epoch: expected.epoch });
  await republish();
  outage = false;
  const engine = await openEngine(origin, { throttle: { maxConcurrent: 2 }, backoff: BACKOFF });
  try {
    await engine.sync();
    const pending: { step: Step; index: number; done: Promise<{ ok: true } | { ok: false; error: unknown }> }[] = [];
    for (const [index, step] of program.entries()) {
      expected.apply(step);
      if (step.op === 'damage') {
        const stored = await storedDigests(engine.factory);
        // A chunk freed meanwhile (a clear() in flight) leaves nothing to damage.
        if (stored.length) await corruptChunks(engine.factory, [stored[step.nth % stored.length]!]).catch(() => {});
        continue;
      }
      if (step.op === 'reset') {
        await republish();
        continue;
      }
      if (step.op === 'outage') {
        outage = step.on;
        if (step.on) await new Promise((r) => setTimeout(r, step.ms));
        continue;
      }
      if (step.op === 'republish') {
        paths.set(step.track, `/media/${step.track}-v${++published}.mp3`);
        await republish();
        continue;
      }
      const [method, args] = callOf(step);
      const api = engine as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const done = api[method]!(...args).then(
        async (value) => {
          if (value instanceof Blob) await value.arrayBuffer();
          return { ok: true as const };
        },
        (error: unknown) => ({ ok: false as const, error }),
      );
      pending.push({ step, index, done });
      if (step.awaited) await done;
    }
    outage = false; // the link is back before the calls are judged
    const hung = Symbol('hung');
    for (const { step, index, done } of pending) {
      const outcome = await Promise.race([done, new Promise<typeof hung>((r) => setTimeout(() => r(hung), SETTLE_MS).unref())]);
      const name = `call ${index} ${JSON.stringify(step)}`;
      if (outcome === hung) violations.push(`${name} did not settle within ${SETTLE_MS} ms`);
      else if (!outcome.ok) {
        const { error } = outcome;
        const coded = isRepriseError(error);
        const v = judgeRejection(step, index, coded ? error : { name: 'Error', message: String(error) }, coded);
        if (v) violations.push(v);
      }
    }
    if (violations.length) return violations;

    await engine.verify(); // damage done to the store is found
    await engine.sync(); // the latest catalog in force
    await engine.resume();
    await engine.idle();
    return await expected.check(
      await engine.status(),
      async (id) => Buffer.from(await (await engine.getTrack(id)).arrayBuffer()),
      () => auditChunks(engine.factory),
    );
  } finally {
    await engine.close();
  }
}

describe('overlapping calls at random', () => {
  it(`${RUNS} programs of up to 14 calls (first the ${FOUND.length} that found bugs, then at random), each awaited or not, the store damaged between some: every call settles with a result or a documented code; choices as called; offline tracks complete and byte-identical; only needed, verified chunks stored`, async () => {
    await runPrograms('', RUNS, runProgram, programWithDamageArb);
  }, SOAK ? 3_600_000 : 180_000);
});
