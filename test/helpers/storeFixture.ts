import { IDBFactory } from 'fake-indexeddb';
import { type IDBPDatabase, wrap } from 'idb';

/**
 * A store written by an earlier schema version, from its JSON fixture (test/fixtures/store-v*.json:
 * stores, key paths, rows; bytes as `{ $bytes: base64 }`), in a fresh fake-indexeddb factory.
 */
export async function loadFixture(fixture: { schemaVersion: number; schema: Record<string, { keyPath: string | null }>; stores: Record<string, [IDBValidKey, unknown][]> }): Promise<IDBFactory> {
  const factory = new IDBFactory();
  const request = factory.open('reprise', fixture.schemaVersion);
  request.onupgradeneeded = () => {
    for (const [name, { keyPath }] of Object.entries(fixture.schema)) request.result.createObjectStore(name, keyPath ? { keyPath } : undefined);
  };
  const db = (await wrap(request)) as unknown as IDBPDatabase;
  const decode = (v: unknown): unknown =>
    v && typeof v === 'object' && '$bytes' in v ? new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64')).buffer : Array.isArray(v) ? v.map(decode) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)])) : v;
  for (const [name, rows] of Object.entries(fixture.stores)) {
    for (const [k, v] of rows) await db.put(name, decode(v), fixture.schema[name]!.keyPath ? undefined : k);
  }
  db.close();
  return factory;
}
