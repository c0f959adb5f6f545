import fc from 'fast-check';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { type CacheEngine, createCacheEngine, isRepriseError } from '../../src/engine/index.js';
import { isErrorCode } from '../../src/errors/codes.js';
import { bytesOf, CHUNK, chunkDigests, key } from '../helpers/catalog.js';
import { snapshot } from '../helpers/snapshot.js';
import { jwsMutation, payloadMutation, signText } from './manifestMutations.js';
import { figure, SOAK } from './scale.js';

// Security rules (docs/how-it-works.md) against hostile manifests: 1,000 here, 10,000 in the soak.
const RUNS = Number(process.env.RELIABILITY_MANIFESTS ?? (SOAK ? 10_000 : 1000));
const MANIFEST_URL = 'https://app.example/offline/manifest.jws';
const body = bytesOf('hostile-manifest', CHUNK + 100);
const base = {
  format: 'reprise-manifest/1',
  securityEpoch: 3,
  issuedAt: '2026-11-01T00:00:00Z',
  revokedKeyIds: ['old'],
  resync: { windowSeconds: 60 },
  playlists: [{ id: 'p', name: 'P', trackIds: ['t'], offline: true }],
  tracks: [{ id: 't', url: 'media/t.mp3', mimeType: 'audio/mpeg', size: body.length, chunkSize: CHUNK, chunks: chunkDigests(body), title: 'T' }],
};
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** An engine whose fetch answers the manifest URL with `current.jws` and the media with its bytes. */
class Device {
  current = { jws: '' };
  factory = new IDBFactory();
  engine!: CacheEngine;
  before: unknown;

  async start(jws: string): Promise<void> {
    this.current.jws = jws;
    this.factory = new IDBFactory();
    this.engine = await createCacheEngine({
      manifestUrl: MANIFEST_URL,
      trustedKeys: [(await key('k1')).publicJwk as never],
      indexedDB: this.factory,
      fetch: async (input) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url === MANIFEST_URL) return new Response(this.current.jws, { headers: { 'content-type': 'application/jose' } });
        if (url === 'https://app.example/offline/media/t.mp3') return new Response(new Uint8Array(body), { headers: { 'content-type': 'audio/mpeg' } });
        return new Response('not found', { status: 404 });
      },
    });
    await this.engine.sync();
    await this.engine.idle();
    this.before = await snapshot(this.factory);
  }
}

describe('hostile manifests', () => {
  const device = new Device();
  const counts = { tried: 0, refused: 0, accepted: 0, slowestMs: 0 };
  const kinds = new Map<string, number>();
  afterAll(async () => {
    await device.engine?.close();
    figure(`manifests: ${counts.tried} tried, ${counts.refused} refused with a documented code, ${counts.accepted} accepted (valid after the mutation), slowest refusal ${counts.slowestMs.toFixed(0)} ms, ${kinds.size} mutation kinds`);
  });

  /** One mutated JWS: refused with a documented code and nothing stored changed, or accepted; never polluting. */
  async function attempt(kind: string, jws: string, baseJws: string): Promise<void> {
    counts.tried++;
    const family = kind.replace(/ at .*| \d.*|^value at .*/, '');
    kinds.set(family, (kinds.get(family) ?? 0) + 1);
    device.current.jws = jws;
    const started = performance.now();
    let refusal: unknown;
    try {
      await device.engine.sync();
    } catch (error) {
      refusal = error;
    }
    const ms = performance.now() - started;
    expect(({} as Record<string, unknown>).polluted, `${kind}: Object.prototype polluted`).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
    if (refusal === undefined) {
      // Still a valid manifest (a title changed, say): accepted; start again from the base store.
      counts.accepted++;
      await device.engine.close();
      await device.start(baseJws);
      return;
    }
    counts.refused++;
    counts.slowestMs = Math.max(counts.slowestMs, ms);
    expect(isRepriseError(refusal) && isErrorCode((refusal as Error).name), `${kind}: refused with ${String(refusal)}`).toBe(true);
    expect((refusal as Error).message.length).toBeGreaterThan(10);
    expect(ms, `${kind}: refused in ${ms} ms`).toBeLessThan(3000);
    expect(await snapshot(device.factory), `${kind}: a refusal changed the store`).toEqual(device.before);
  }

  it(`refuses ${RUNS / 2} unsigned mutations of the compact JWS with a documented code, the store unchanged`, async () => {
    const jws = await signText(JSON.stringify(base));
    await device.start(jws);
    await fc.assert(fc.asyncProperty(jwsMutation(jws), async (m) => attempt(m.kind, m.jws, jws)), { numRuns: RUNS / 2, seed: Number(process.env.RELIABILITY_SEED ?? 15) });
  }, SOAK ? 3_600_000 : 120_000);

  it(`refuses ${RUNS / 2} mutated payloads signed with a trusted key when the schema or a rule says no`, async () => {
    const jws = await signText(JSON.stringify(base));
    if (!device.engine) await device.start(jws);
    await fc.assert(
      fc.asyncProperty(payloadMutation(base), async (m) => attempt(m.kind, await signText(m.text), jws)),
      { numRuns: RUNS / 2, seed: Number(process.env.RELIABILITY_SEED ?? 15) },
    );
  }, SOAK ? 3_600_000 : 180_000);
});
