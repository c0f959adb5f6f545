import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_BATCH, runAudit } from '../../../src/audit/runAudit.js';
import type { Store } from '../../../src/store/Store.js';

const digestOf = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');

/** A store of `n` small chunks (one damaged, one missing) that counts the reads in flight. */
function fakeStore(n: number) {
  const chunks = new Map<string, ArrayBuffer>();
  const digests: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(64).fill(i % 251);
    bytes[0] = i >> 8;
    const d = digestOf(bytes);
    digests.push(d);
    chunks.set(d, bytes.buffer);
  }
  chunks.set(digests[5]!, new ArrayBuffer(64)); // damaged
  chunks.delete(digests[7]!); // missing
  let inFlight = 0;
  let maxInFlight = 0;
  const committed: string[] = [];
  const store = {
    async getChunks(ds: readonly string[]) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return ds.map((d) => chunks.get(d));
    },
    async commitAudit(_id: string, verified: string[]) {
      committed.push(...verified);
    },
  } as unknown as Store;
  return { store, digests, committed, maxInFlight: () => maxInFlight };
}

describe('runAudit', () => {
  it('verifies every chunk once, in order, and finds the damaged and the missing one', async () => {
    const f = fakeStore(AUDIT_BATCH * 5);
    const result = await runAudit({ store: f.store, id: 'a', digests: f.digests });
    expect(result.corrupt).toEqual([f.digests[5]]);
    expect(result.missing).toEqual([f.digests[7]]);
    expect(f.committed).toEqual(f.digests.filter((_d, i) => i !== 5 && i !== 7));
  });

  it('reads three batches ahead of 256 KiB chunks, and only one of 8 MiB chunks (memory bound)', async () => {
    const small = fakeStore(AUDIT_BATCH * 8);
    await runAudit({ store: small.store, id: 'a', digests: small.digests });
    expect(small.maxInFlight()).toBe(3);
    const large = fakeStore(AUDIT_BATCH * 8);
    await runAudit({ store: large.store, id: 'a', digests: large.digests, maxChunkSize: 8 * 1024 * 1024 });
    expect(large.maxInFlight()).toBe(1);
  });
});
