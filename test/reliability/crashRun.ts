import { IDBFactory } from 'fake-indexeddb';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CacheEngine, isRepriseError } from '../../src/engine/index.js';
import { openEngine } from '../helpers/catalog.js';
import { Crashable } from '../helpers/crashable.js';
import type { OriginRequest, TestOrigin } from '../helpers/origin.js';
import { auditChunks, chunksDelivered } from '../helpers/storeAudit.js';
import type { CrashScenario, Expectation } from './crashScenarios.js';

/** Requests the origin answered, with the process that sent them (a header the test's fetch adds). */
export class TaggedLog {
  readonly entries: (OriginRequest & { tag: string | undefined; status?: number })[] = [];
  /** Installs itself as the origin's first fault hook (it never answers). */
  constructor(origin: TestOrigin) {
    origin.faults.unshift((req: IncomingMessage, res: ServerResponse, _file, o) => {
      const entry = Object.assign(o.log.at(-1)!, { tag: req.headers['x-test-process'] as string | undefined });
      this.entries.push(entry);
      res.on('finish', () => ((entry as { status?: number }).status = res.statusCode));
      return false;
    });
  }
  of(tag: string) {
    return this.entries.filter((e) => e.tag === tag);
  }
}

const tagged = (tag: string, inner: typeof fetch = globalThis.fetch): typeof fetch => (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('x-test-process', tag);
  return inner(input, { ...init, headers });
};

export interface StopPoint {
  /** The transaction of the killed engine after which it stops. */
  at: number;
  /** Stops after this many ms (0: at the next microtask, inside the transaction's task). */
  delayMs: number;
}

/** How many transactions the scenario's operation makes when nothing stops it. */
export async function measure(scenario: CrashScenario, origin: TestOrigin): Promise<number> {
  const factory = new IDBFactory();
  await scenario.prepare(origin, factory);
  const process = new Crashable(factory);
  const engine = await openEngine(origin, { ...scenario.engineOptions, kids: scenario.kids, indexedDB: process.indexedDB, fetch: process.fetch });
  await scenario.act(engine);
  await engine.close();
  return process.transactions;
}

/**
 * Runs the scenario, kills the engine at the stop point, restarts it on the same store and
 * returns the violations of the storage invariants it finds (none is the pass).
 */
export async function runStopPoint(scenario: CrashScenario, origin: TestOrigin, log: TaggedLog, stop: StopPoint, run: string): Promise<string[]> {
  const violations: string[] = [];
  const factory = new IDBFactory();
  const expected = await scenario.prepare(origin, factory);
  const process = new Crashable(factory);
  let stopped!: () => void;
  const killed = new Promise<void>((r) => (stopped = r));
  const kill = () => {
    process.crash();
    stopped();
  };
  process.stopAt(stop.at, () => (stop.delayMs === 0 ? queueMicrotask(kill) : setTimeout(kill, stop.delayMs)));
  let engine: CacheEngine | undefined;
  const acting = (async () => {
    engine = await openEngine(origin, { ...scenario.engineOptions, kids: scenario.kids, indexedDB: process.indexedDB, fetch: tagged(`${run}:killed`, process.fetch) });
    await scenario.act(engine);
  })();
  const ended = await Promise.race([killed.then(() => 'killed'), acting.then(() => 'done', (e: unknown) => (process.crashed ? 'killed' : e))]);
  if (ended !== 'killed' && ended !== 'done') throw ended;
  kill(); // a stop point after the operation ended is a stop point too
  acting.catch(() => {});
  void engine?.close().catch(() => {});

  const atStop = await auditChunks(factory);
  if (atStop.bad.length > 0 && scenario.name.startsWith('first')) violations.push(`unverified bytes stored: ${atStop.bad.length} chunks`);

  const tag = `${run}:restarted`;
  const restarted = await openEngine(origin, { ...scenario.engineOptions, kids: scenario.kids, indexedDB: factory, fetch: tagged(tag) });
  try {
    await checkServed(restarted, expected, factory, violations, 'after the restart');
    await scenario.resume(restarted);
    await checkServed(restarted, expected, factory, violations, 'at the end');
    const status = await restarted.status();
    for (const id of expected.offline) {
      if (status.tracks.find((t) => t.id === id)?.state !== 'complete') violations.push(`track ${id} not complete at the end`);
    }
    const end = await auditChunks(factory);
    if (end.bad.length > 0) violations.push(`unverified bytes stored at the end: ${end.bad.join(', ')}`);
    const needed = new Set(expected.files.filter((f) => expected.offline.includes(f.id)).flatMap((f) => f.chunks));
    for (const d of needed) if (!end.verified.has(d)) violations.push(`needed chunk ${d} missing at the end`);
    const again = chunksDelivered(expected.files, log.of(tag)).filter((d) => atStop.verified.has(d));
    if (again.length > 0) violations.push(`committed chunks fetched again: ${again.length}`);
    for (const d of atStop.verified) if (needed.has(d) && !end.verified.has(d)) violations.push(`verified chunk ${d} deleted`);
  } finally {
    await restarted.close();
  }
  return violations.map((v) => `${scenario.name}, stop ${JSON.stringify(stop)}: ${v}`);
}

/** Every track status() calls complete has its chunks stored and verified, and reads back byte-identical. */
async function checkServed(engine: CacheEngine, expected: Expectation, factory: IDBFactory, violations: string[], when: string) {
  const stored = await auditChunks(factory);
  const status = await engine.status();
  for (const file of expected.files) {
    const s = status.tracks.find((t) => t.id === file.id);
    if (s?.state !== 'complete') continue;
    // Damage done outside the engine (a failing disk) is found when read: present is what status() can know.
    if (!file.chunks.every((d) => stored.present.has(d))) violations.push(`${when}: status() says ${file.id} complete, the store lacks chunks`);
    try {
      const bytes = Buffer.from(await (await engine.getTrack(file.id)).arrayBuffer());
      if (!bytes.equals(file.body)) violations.push(`${when}: getTrack(${file.id}) served bytes that differ from the origin's`);
    } catch (error) {
      if (!isRepriseError(error)) violations.push(`${when}: getTrack(${file.id}) threw a non-reprise error: ${String(error)}`);
    }
  }
}
