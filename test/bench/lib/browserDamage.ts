// Damage done the way a failing disk, another app or a server-side change would, for the browser
// benches: chunks corrupted or deleted in the page's real IndexedDB, and the manifest re-signed at
// a new security epoch (a security-forced reset), optionally with some tracks re-published.
import type { Page } from 'playwright-core';
import { chunkDigests, sign } from '../../helpers/catalog.js';
import type { TestOrigin } from '../../helpers/origin.js';

/** Flips a byte of each chunk in `corrupt` and deletes each chunk in `remove`, in the page's 'reprise' database. */
export function damageStore(page: Page, corrupt: string[], remove: string[] = []): Promise<void> {
  return page.evaluate(
    async ({ corrupt, remove }) => {
      const db: IDBDatabase = await new Promise((resolve, reject) => {
        const open = indexedDB.open('reprise');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      // A stored value is a Blob (browsers) or an ArrayBuffer: read the bytes before the write transaction.
      const damaged = new Map<string, ArrayBuffer>();
      for (const digest of corrupt) {
        const value = await new Promise<{ bytes: ArrayBuffer | Blob } | undefined>((resolve, reject) => {
          const get = db.transaction('chunks').objectStore('chunks').get(digest);
          get.onsuccess = () => resolve(get.result);
          get.onerror = () => reject(get.error);
        });
        if (!value) throw new Error(`chunk ${digest} is not stored`);
        const bytes = new Uint8Array(value.bytes instanceof Blob ? await value.bytes.arrayBuffer() : value.bytes.slice(0));
        bytes[bytes.length >> 1]! ^= 0x5a;
        damaged.set(digest, bytes.buffer);
      }
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('chunks', 'readwrite');
        const store = tx.objectStore('chunks');
        for (const [digest, bytes] of damaged) store.put({ bytes }, digest);
        for (const digest of remove) store.delete(digest);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { corrupt, remove },
  );
}

/**
 * Re-signs the origin's format-1 manifest at `epoch`; `changed` tracks get new bodies (served at
 * their URL, with their new chunk digests). The manifest otherwise stays as it was.
 */
export async function reissue(origin: TestOrigin, epoch: number, changed = new Map<string, Buffer>(), chunkSize = 256 * 1024): Promise<void> {
  const jws = origin.files.get('/manifest.jws')!.body.toString();
  const manifest = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { securityEpoch: number; issuedAt: string; tracks: { id: string; url: string; size: number; chunks: string[] }[] };
  manifest.securityEpoch = epoch;
  manifest.issuedAt = new Date().toISOString();
  for (const track of manifest.tracks) {
    const body = changed.get(track.id);
    if (!body) continue;
    origin.put(`/${track.url}`, body);
    track.size = body.length;
    track.chunks = chunkDigests(body, chunkSize);
  }
  origin.put('/manifest.jws', await sign(manifest, 'k1'), 'application/jose');
}
