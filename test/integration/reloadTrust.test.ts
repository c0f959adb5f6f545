// Issue 20 item 3: a reload does not verify again a format-2 root this device verified (the store
// keeps the SHA-256 of the payload it verified, and when); a changed payload or a distrusted key
// is verified in full as before.
import { wrap, type IDBPDatabase } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNK, bytesOf, openEngine } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { publishV2, rootValidators } from '../helpers/publishV2.js';

const tracks = ['a', 'b'].map((id) => ({ id, body: bytesOf(id, CHUNK * 2 + 3) }));
const playlists = [{ id: 'p', trackIds: ['a', 'b'], offline: true }];

let origin: TestOrigin;
beforeEach(async () => {
  origin = await TestOrigin.start();
  rootValidators(origin);
  await publishV2(origin, { tracks, playlists, version: 1 });
});
afterEach(() => origin.close());

/** Counts ECDSA signature checks (jose verifies through WebCrypto). */
function countVerifies(): { count: number; restore(): void } {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.verify.bind(subtle);
  const counter = { count: 0, restore: () => void (subtle.verify = original) };
  subtle.verify = ((...args: Parameters<SubtleCrypto['verify']>) => {
    counter.count++;
    return original(...args);
  }) as SubtleCrypto['verify'];
  return counter;
}

async function editMeta(factory: IDBFactory, edit: (meta: { manifest: { jws: string; verified?: { payloadSha256: string; at: number } } }) => void): Promise<void> {
  const db = (await wrap(factory.open('reprise'))) as unknown as IDBPDatabase;
  const meta = await db.get('meta', 'state');
  edit(meta);
  await db.put('meta', meta, 'state');
  db.close();
}

describe('a reload and the stored format-2 root', () => {
  it('is not verified again: no signature check, the library in force, its tracks complete', async () => {
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    const verifies = countVerifies();
    try {
      const again = await openEngine(origin, { indexedDB: first.factory });
      expect(verifies.count).toBe(0);
      const status = await again.status();
      expect(status.tracks.map((t) => t.state)).toEqual(['complete', 'complete']);
      expect(status.manifest).not.toBeNull();
      await again.close();
    } finally {
      verifies.restore();
    }
  });

  it('a stored payload that is not the one verified is verified in full, and refused when its signature fails', async () => {
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    // The payload changed (a longer title); the record of what was verified left as it was.
    await editMeta(first.factory, (meta) => {
      const [header, payload, signature] = meta.manifest.jws.split('.') as [string, string, string];
      const json = JSON.parse(Buffer.from(payload, 'base64url').toString());
      json.title = `${json.title ?? ''} (edited on the device)`;
      meta.manifest.jws = [header, Buffer.from(JSON.stringify(json)).toString('base64url'), signature].join('.');
    });
    const verifies = countVerifies();
    try {
      const again = await openEngine(origin, { indexedDB: first.factory });
      expect(verifies.count).toBe(1);
      const status = await again.status();
      expect(status.manifest).toBeNull(); // held back: nothing served from a root that does not verify
      await again.close();
    } finally {
      verifies.restore();
    }
  });

  it('a key this build no longer trusts is not trusted from the record either', async () => {
    const first = await openEngine(origin);
    await first.sync();
    await first.idle();
    await first.close();
    const again = await openEngine(origin, { indexedDB: first.factory, kids: ['k2'] });
    expect((await again.status()).manifest).toBeNull();
    await again.close();
  });
});
