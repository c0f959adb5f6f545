import { createHash } from 'node:crypto';
import { wrap, type IDBPDatabase } from 'idb';

/** Every store of the database as plain data (chunk bytes as their SHA-256), to compare before/after. */
export async function snapshot(factory: IDBFactory, name = 'reprise'): Promise<Record<string, unknown[]>> {
  const db = (await wrap(factory.open(name))) as unknown as IDBPDatabase;
  const out: Record<string, unknown[]> = {};
  for (const store of [...db.objectStoreNames].sort()) {
    const keys = await db.getAllKeys(store);
    const values = await db.getAll(store);
    out[store] = keys.map((k, i) => [k, normalise(values[i])]);
  }
  db.close();
  return out;
}

function normalise(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return `sha256:${createHash('sha256').update(new Uint8Array(value)).digest('base64url')}`;
  if (ArrayBuffer.isView(value)) return normalise(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}
