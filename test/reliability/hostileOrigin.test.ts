import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../src/errors/codes.js';
import { bytesOf, CHUNK, chunkDigests, openEngine, publish } from '../helpers/catalog.js';
import { FAULT_KINDS, type FaultKind, hostile } from '../helpers/hostileOrigin.js';
import { TestOrigin } from '../helpers/origin.js';
import { auditChunks, chunksDelivered } from '../helpers/storeAudit.js';
import { figure, prng, SOAK } from './scale.js';

// Storage invariant 1 and security rules 2 and 4 (docs/how-it-works.md) against an origin that answers
// 40 % of the media requests with one of 16 faults: 30 rounds here, 500 in the soak.
const ROUNDS = Number(process.env.RELIABILITY_ROUNDS ?? (SOAK ? 500 : 30));
const MAX_CONCURRENT = 3;
/** Faults that send the file's own bytes at the offsets asked (flipped, shifted and HTML bodies do not). */
const TRUE_BYTES = new Set<FaultKind>(['reset-mid-body', 'truncated', 'whole-file-to-range', 'stall', 'slow-drip', 'content-length-longer', 'trailing-bytes']);
const tracks = ['h1', 'h2', 'h3', 'h4', 'h5'].map((id, i) => ({ id, body: bytesOf(`hostile-${id}`, CHUNK * (2 + (i % 3)) + i * 999) }));
const files = tracks.map((t) => ({ id: t.id, path: `/media/${t.id}.mp3`, size: t.body.length, chunkSize: CHUNK, chunks: chunkDigests(t.body) }));

describe('a hostile origin', () => {
  let origin: TestOrigin;
  let elsewhere: TestOrigin;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  beforeAll(async () => {
    [origin, elsewhere] = await Promise.all([TestOrigin.start(), TestOrigin.start()]);
    await publish(origin, { tracks, playlists: [{ id: 'p', trackIds: tracks.map((t) => t.id), offline: true }] });
    // The disallowed origin serves the right bytes: only the origin rule may keep them out.
    for (const t of tracks) elsewhere.put(`/media/${t.id}.mp3`, t.body);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all([origin?.close(), elsewhere?.close()]);
  });

  it(`${ROUNDS} rounds: every track complete and byte-identical or failed with a documented code; nothing bad stored`, async () => {
    const injected = new Map<FaultKind, number>();
    const outcome = { complete: 0, failed: new Map<string, number>(), maxOpen: 0, requests: 0 };
    const violations: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const random = prng(Number(process.env.RELIABILITY_SEED ?? 15) * 1000 + round);
      origin.faults = [hostile({ random, rate: 0.4, elsewhere: elsewhere.url, injected, stallMs: 600 })];
      const logFrom = origin.log.length;
      const elsewhereFrom = elsewhere.log.length;
      origin.maxInFlight = 0;
      const engine = await openEngine(origin, { throttle: { maxConcurrent: MAX_CONCURRENT }, stallTimeoutMs: 250, backoff: { baseMs: 20, capMs: 400, attempts: 10 } });
      await engine.sync();
      await engine.idle();
      const status = await engine.status();
      for (const t of tracks) {
        const s = status.tracks.find((x) => x.id === t.id)!;
        if (s.state === 'complete') {
          outcome.complete++;
          const bytes = Buffer.from(await (await engine.getTrack(t.id)).arrayBuffer());
          if (!bytes.equals(t.body)) violations.push(`round ${round}: ${t.id} served bytes that differ`);
        } else if (s.state === 'failed' && s.failure && isErrorCode(s.failure.code)) {
          outcome.failed.set(s.failure.code, (outcome.failed.get(s.failure.code) ?? 0) + 1);
        } else violations.push(`round ${round}: ${t.id} ended ${s.state} ${JSON.stringify(s.failure ?? null)}`);
      }
      await engine.close();
      const stored = await auditChunks(engine.factory);
      if (stored.bad.length > 0) violations.push(`round ${round}: ${stored.bad.length} stored chunks fail their digest`);
      // What the origin delivered: clean answers, and faults whose bytes are the file's at the
      // asked offsets (cut short, slow, or more than asked). The soak met a chunk refused from the
      // disallowed origin (a redirect) and then stored from the origin's 200 to a Range.
      const clean = origin.log.slice(logFrom).filter((r) => !('fault' in r) || TRUE_BYTES.has((r as { fault: FaultKind }).fault));
      const fromHere = new Set(chunksDelivered(files, clean));
      const onlyElsewhere = chunksDelivered(files, elsewhere.log.slice(elsewhereFrom)).filter((d) => stored.present.has(d) && !fromHere.has(d));
      if (onlyElsewhere.length > 0) violations.push(`round ${round}: ${onlyElsewhere.length} chunks stored that only the disallowed origin sent`);
      if (origin.maxInFlight > MAX_CONCURRENT) violations.push(`round ${round}: ${origin.maxInFlight} requests open at the origin at once`);
      outcome.maxOpen = Math.max(outcome.maxOpen, origin.maxInFlight);
      outcome.requests += origin.log.length - logFrom;
    }
    const total = [...injected.values()].reduce((a, b) => a + b, 0);
    figure(`hostile origin: ${ROUNDS} rounds, ${outcome.requests} media requests, ${total} faults injected of ${injected.size} kinds (${FAULT_KINDS.map((k) => `${k} ${injected.get(k) ?? 0}`).join(', ')}); tracks complete ${outcome.complete}, failed ${JSON.stringify(Object.fromEntries(outcome.failed))}; most requests open at once ${outcome.maxOpen}; ${unhandled.length} unhandled rejections; ${violations.length} violations`);
    expect(violations).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(injected.size).toBeGreaterThanOrEqual(15);
  }, SOAK ? 3_600_000 : 150_000);
});
