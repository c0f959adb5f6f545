import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestOrigin } from '../helpers/origin.js';
import { measure, runStopPoint, TaggedLog } from './crashRun.js';
import { SCENARIOS } from './crashScenarios.js';
import { figure, prng, SOAK } from './scale.js';

// Storage invariants 1–3 (docs/how-it-works.md) at stop points spread over every transaction of each
// operation: 50 per scenario here (250), 1,000 per scenario in the soak.
const PER_SCENARIO = Number(process.env.RELIABILITY_STOPS ?? (SOAK ? 1000 : 50));
const SEED = Number(process.env.RELIABILITY_SEED ?? 15);

describe('crash consistency (Node: connections and sockets cut, the engine dropped unclosed)', () => {
  let origin: TestOrigin;
  let log: TaggedLog;
  beforeAll(async () => {
    origin = await TestOrigin.start();
    log = new TaggedLog(origin);
  });
  afterAll(async () => origin?.close());

  it.each(SCENARIOS.map((s, i) => [s.name, s, i] as const))('%s: every stop point restarts to a complete, verified store', async (_, scenario, i) => {
    const transactions = await measure(scenario, origin);
    const random = prng(SEED * 100 + i);
    const violations: string[] = [];
    for (let n = 0; n < PER_SCENARIO; n++) {
      // Every transaction once, then random ones; half stop at once, half a few ms later.
      const at = n < transactions ? n + 1 : 1 + Math.floor(random() * transactions);
      const delayMs = random() < 0.5 ? 0 : Math.floor(random() * 4) + 1;
      violations.push(...(await runStopPoint(scenario, origin, log, { at, delayMs }, `${i}:${n}`)));
    }
    figure(`crash "${scenario.name}": ${PER_SCENARIO} stop points over ${transactions} transactions, ${violations.length} violations`);
    expect(violations).toEqual([]);
  }, SOAK ? 3_600_000 : 120_000);
});
