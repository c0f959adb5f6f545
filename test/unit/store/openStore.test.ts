import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/openStore.js';
import { SCHEMA_VERSION } from '../../../src/store/schema.js';

describe('openStore', () => {
  it("the browser's failure to open the store (an upgrade aborted, a broken backing store) is storage-failed, naming the database", async () => {
    const factory = new IDBFactory();
    const aborting = {
      open(name: string, version?: number) {
        const request = factory.open(name, version);
        request.addEventListener('upgradeneeded', () => request.transaction!.abort());
        return request;
      },
    } as unknown as IDBFactory;
    await expect(openStore(aborting, 'reprise')).rejects.toMatchObject({ name: 'storage-failed', message: expect.stringContaining('"reprise"') });
  });

  it('a database of a newer schema is invalid-argument (update the app)', async () => {
    const factory = new IDBFactory();
    await new Promise((resolve) => (factory.open('reprise', SCHEMA_VERSION + 1).onsuccess = (e) => resolve((e.target as IDBOpenDBRequest).result.close())));
    await expect(openStore(factory, 'reprise')).rejects.toMatchObject({ name: 'invalid-argument' });
  });
});
