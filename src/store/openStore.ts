import { type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import { RepriseError } from '../errors/RepriseError.js';
import { type RepriseDB, SCHEMA_VERSION } from './schema.js';

export type RepriseDatabase = IDBPDatabase<RepriseDB>;
export type UpgradeTransaction = IDBPTransaction<RepriseDB, StoreNames<RepriseDB>[], 'versionchange'>;

export interface OpenedStore {
  db: RepriseDatabase;
  /** The schema version found on disk before this open: 0 for a new database. */
  previousVersion: number;
}

/**
 * Opens (creating or migrating) the database. Like idb's `openDB`, but takes the factory so
 * Node tests can pass fake-indexeddb and browsers can pass their own `indexedDB`.
 */
export async function openStore(factory: IDBFactory, name: string): Promise<OpenedStore> {
  let previousVersion = -1;
  const request = factory.open(name, SCHEMA_VERSION);
  const opened = wrap(request) as unknown as Promise<RepriseDatabase>;
  request.addEventListener('upgradeneeded', (event) => {
    previousVersion = event.oldVersion;
    const db = wrap(request.result) as unknown as RepriseDatabase;
    const tx = wrap(request.transaction!) as unknown as UpgradeTransaction;
    tx.done.catch(() => {}); // an aborted upgrade fails the open, which says so (not an unhandled rejection too)
    upgrade(db, event.oldVersion, tx);
  });
  let db: RepriseDatabase;
  try {
    db = await opened;
  } catch (cause) {
    const name_ = (cause as DOMException)?.name;
    if (name_ === 'VersionError') {
      throw new RepriseError('invalid-argument', `the database "${name}" was written by a newer version of reprise; update the app`, {}, { cause });
    }
    if (cause instanceof RepriseError) throw cause;
    // The browser's own failure (a broken backing store, an upgrade aborted, no space for it): a stable code.
    const message = (cause as Error | null)?.message;
    throw new RepriseError('storage-failed', `IndexedDB could not open the offline store "${name}" (${name_ ?? 'error'}${message ? `: ${message}` : ''})`, {}, { cause });
  }
  return { db, previousVersion: previousVersion === -1 ? SCHEMA_VERSION : previousVersion };
}

/**
 * Migrations, one step per released schema version, applied in order inside the versionchange
 * transaction. They move no chunk bytes: a migration never costs a re-download (docs/how-it-works.md
 * `schema-upgrade`: "migrated in place; nothing is re-downloaded").
 */
function upgrade(db: RepriseDatabase, oldVersion: number, _tx: UpgradeTransaction): void {
  if (oldVersion < 1) {
    db.createObjectStore('meta');
    db.createObjectStore('chunks');
    db.createObjectStore('playlists', { keyPath: 'id' });
    db.createObjectStore('tracks', { keyPath: 'id' });
  }
  if (oldVersion < 2) {
    db.createObjectStore('audits');
  }
  if (oldVersion < 3) {
    db.createObjectStore('parts');
    db.createObjectStore('chunkLists');
  }
}
