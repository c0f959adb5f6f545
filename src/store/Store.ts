import { RepriseError } from '../errors/RepriseError.js';
import type { RepriseDatabase } from './openStore.js';
import { parseMeta } from './parseMeta.js';
import { type MetaRecord, type PlaylistRecord, SCHEMA_VERSION, type TrackRecord } from './schema.js';

export interface ChunkWrite {
  digest: string;
  bytes: ArrayBuffer;
}

/** How many keys one delete transaction removes; keeps each transaction short. */
const DELETE_BATCH = 512;

/**
 * The engine's view of IndexedDB: a few operations, each one transaction, with only IndexedDB
 * calls awaited inside it (transactions auto-commit when the event loop turns — idb README,
 * "Transaction lifetime").
 */
export class Store {
  constructor(readonly db: RepriseDatabase) {}

  async readMeta(): Promise<MetaRecord> {
    return parseMeta(await this.db.get('meta', 'state'));
  }

  async writeMeta(meta: MetaRecord): Promise<void> {
    await this.db.put('meta', { ...meta, schemaVersion: SCHEMA_VERSION }, 'state');
  }

  /** Writes verified chunks in one transaction: all of them or none (a quota error aborts it). */
  async putChunks(chunks: readonly ChunkWrite[]): Promise<void> {
    if (chunks.length === 0) return;
    // Relaxed durability (IndexedDB 3.0): the commit survives a closed tab or a killed worker,
    // which is what storage invariant 2 needs; only a power cut could lose it, and a lost chunk
    // is fetched again. Chromium writes ~1.5× faster this way.
    const tx = this.db.transaction('chunks', 'readwrite', { durability: 'relaxed' });
    // A quota error can surface as a throw from put() or as the transaction's abort: watch both.
    tx.done.catch(() => {});
    try {
      for (const chunk of chunks) void tx.store.put({ bytes: chunk.bytes }, chunk.digest).catch(() => {});
      await tx.done;
    } catch (cause) {
      throw toStoreError(cause);
    }
  }

  async getChunk(digest: string): Promise<ArrayBuffer | undefined> {
    return (await this.db.get('chunks', digest))?.bytes;
  }

  /** Reads several chunks in one transaction; missing ones come back undefined. */
  async getChunks(digests: readonly string[]): Promise<(ArrayBuffer | undefined)[]> {
    const tx = this.db.transaction('chunks', 'readonly');
    const values = await Promise.all(digests.map((d) => tx.store.get(d)));
    await tx.done;
    return values.map((v) => v?.bytes);
  }

  async chunkKeys(): Promise<string[]> {
    return this.db.getAllKeys('chunks');
  }

  async deleteChunks(digests: readonly string[]): Promise<void> {
    for (let i = 0; i < digests.length; i += DELETE_BATCH) {
      const tx = this.db.transaction('chunks', 'readwrite');
      for (const d of digests.slice(i, i + DELETE_BATCH)) void tx.store.delete(d).catch(() => {});
      await tx.done;
    }
  }

  async playlists(): Promise<PlaylistRecord[]> {
    return this.db.getAll('playlists');
  }

  async putPlaylist(record: PlaylistRecord): Promise<void> {
    await this.db.put('playlists', record);
  }

  async tracks(): Promise<TrackRecord[]> {
    return this.db.getAll('tracks');
  }

  async putTrack(record: TrackRecord): Promise<void> {
    await this.db.put('tracks', record);
  }

  /** clear(): content, choices, play history and audit marks go; the meta record (security state) stays. */
  async clearContent(): Promise<void> {
    const tx = this.db.transaction(['chunks', 'playlists', 'tracks', 'audits'], 'readwrite');
    await Promise.all([tx.objectStore('chunks').clear(), tx.objectStore('playlists').clear(), tx.objectStore('tracks').clear(), tx.objectStore('audits').clear(), tx.done]);
  }

  /** Digests already verified by audit `id` (to resume an interrupted audit without re-hashing). */
  async auditedBy(id: string): Promise<Set<string>> {
    const tx = this.db.transaction('audits', 'readonly');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    return new Set(keys.filter((_, i) => values[i] === id));
  }

  async clearAudits(): Promise<void> {
    await this.db.clear('audits');
  }

  /** One audit batch, in one transaction: marks what verified, deletes what did not. */
  async commitAudit(id: string, verified: readonly string[], corrupt: readonly string[]): Promise<void> {
    const tx = this.db.transaction(['chunks', 'audits'], 'readwrite');
    const audits = tx.objectStore('audits');
    const chunks = tx.objectStore('chunks');
    for (const d of verified) void audits.put(id, d).catch(() => {});
    for (const d of corrupt) {
      void chunks.delete(d).catch(() => {});
      void audits.delete(d).catch(() => {});
    }
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}

/** QuotaExceededError (a DOMException; fake-indexeddb and Chromium agree on the name) → quota-exceeded. */
export function toStoreError(cause: unknown): unknown {
  const name = (cause as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new RepriseError('quota-exceeded', 'IndexedDB refused the write: the storage quota is full', {}, { cause });
  }
  return cause;
}
