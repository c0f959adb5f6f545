import { wrap, type IDBPDatabase } from 'idb';

async function open(factory: IDBFactory, name = 'reprise'): Promise<IDBPDatabase> {
  return (await wrap(factory.open(name))) as unknown as IDBPDatabase;
}

/** Flips a byte of each stored chunk given (what a failing disk or a tampering app would do). */
export async function corruptChunks(factory: IDBFactory, digests: string[]): Promise<void> {
  const db = await open(factory);
  for (const d of digests) {
    const record = (await db.get('chunks', d)) as { bytes: ArrayBuffer } | undefined;
    if (!record) throw new Error(`chunk ${d} is not stored`);
    const bytes = new Uint8Array(record.bytes.slice(0));
    bytes[bytes.length >> 1]! ^= 0x5a;
    await db.put('chunks', { bytes: bytes.buffer }, d);
  }
  db.close();
}

export async function deleteChunks(factory: IDBFactory, digests: string[]): Promise<void> {
  const db = await open(factory);
  for (const d of digests) await db.delete('chunks', d);
  db.close();
}

export async function storedDigests(factory: IDBFactory): Promise<string[]> {
  const db = await open(factory);
  const keys = (await db.getAllKeys('chunks')) as string[];
  db.close();
  return keys;
}

/** Counts SHA-256 digests of at least `minBytes` (chunk hashing, not content ids or signatures). */
export function countChunkHashes(minBytes = 1024, at?: { count: number; then: () => void }): { count: number; restore(): void } {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.digest.bind(subtle);
  const counter = {
    count: 0,
    restore: () => {
      subtle.digest = original;
    },
  };
  subtle.digest = ((algorithm: AlgorithmIdentifier, data: BufferSource) => {
    if (data.byteLength >= minBytes && ++counter.count === at?.count) at.then();
    return original(algorithm, data);
  }) as typeof subtle.digest;
  return counter;
}
