import type { Page } from 'playwright-core';
import type { EnginePage } from './engines/index.js';

/**
 * What the page's IndexedDB chunk store holds, read on a connection of its own while no cache
 * is open: digests whose bytes match (`verified`) and keys whose bytes do not (`bad`). A store
 * that does not exist yet is empty (and is not created: the engine must find no database).
 */
export function auditPageChunks(page: Page | EnginePage, dbName = 'reprise'): Promise<{ verified: string[]; bad: string[] }> {
  return (page as EnginePage).evaluate(async (dbName: string) => {
    if (!(await indexedDB.databases()).some((d) => d.name === dbName)) return { verified: [], bad: [] };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(dbName);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      if (!db.objectStoreNames.contains('chunks')) return { verified: [], bad: [] };
      const read = <T>(what: 'getAllKeys' | 'getAll') =>
        new Promise<T>((resolve, reject) => {
          const request = db.transaction('chunks').objectStore('chunks')[what]();
          request.onsuccess = () => resolve(request.result as T);
          request.onerror = () => reject(request.error);
        });
      const keys = await read<string[]>('getAllKeys');
      const values = await read<{ bytes: ArrayBuffer | Blob }[]>('getAll');
      const verified: string[] = [];
      const bad: string[] = [];
      for (let i = 0; i < keys.length; i++) {
        const value = values[i]!.bytes; // a Blob (browsers) or an ArrayBuffer (stores written before)
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', value instanceof Blob ? await value.arrayBuffer() : value));
        const b64url = btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        (b64url === keys[i] ? verified : bad).push(keys[i]!);
      }
      return { verified, bad };
    } finally {
      db.close();
    }
  }, dbName);
}
