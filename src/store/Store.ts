import { RepriseError } from '../errors/RepriseError.js';
import type { RepriseDatabase } from './openStore.js';
import { parseMeta } from './parseMeta.js';
import { type MetaRecord, type PlaylistRecord, SCHEMA_VERSION, type TrackRecord } from './schema.js';

export interface ChunkWrite {
  digest: string;
  bytes: ArrayBuffer;
  /**
   * The value to store, made earlier by {@link Store.prepareValue} (a Blob made as the chunk
   * verified): a write of sixteen chunks then does not make sixteen Blobs in one task.
   */
  value?: Blob;
}

/**
 * How chunks are stored: `blob` where the factory is the platform's own IndexedDB (browsers keep
 * Blob values on disk, and a Blob read back is file-backed), `buffer` otherwise (an in-memory fake
 * such as fake-indexeddb, where a Blob would only add a copy).
 */
export type ChunkValueKind = 'blob' | 'buffer';

export function chunkValueKindFor(factory: IDBFactory): ChunkValueKind {
  return typeof Blob === 'function' && factory === (globalThis as { indexedDB?: IDBFactory }).indexedDB ? 'blob' : 'buffer';
}

/** A stored chunk value's bytes, whichever kind it was written as. */
export function chunkBytes(value: ArrayBuffer | Blob): Promise<ArrayBuffer> {
  return value instanceof ArrayBuffer ? Promise.resolve(value) : value.arrayBuffer();
}

/** The key of a quota probe (never a digest: those are 43 base64url characters). */
const PROBE_KEY = 'quota-probe';

/** How many keys one delete transaction removes; keeps each transaction short. */
const DELETE_BATCH = 512;

/**
 * The engine's view of IndexedDB: a few operations, each one transaction, with only IndexedDB
 * calls awaited inside it (transactions auto-commit when the event loop turns — idb README,
 * "Transaction lifetime").
 */
export class Store {
  /** Called once when the browser closes the database under the engine (a newer app version upgrades it, or storage was cleared). */
  onClosed: ((reason: RepriseError) => void) | undefined;
  private closedBy: RepriseError | undefined;

  constructor(
    readonly db: RepriseDatabase,
    /**
     * How new chunks are written; reads accept both kinds (stores written before hold ArrayBuffers).
     * Becomes `buffer` when the browser refuses Blob values (WebKit's ephemeral sessions: private
     * browsing, automation, which keep IndexedDB in memory and have nowhere to put Blob files).
     */
    public chunkValues: ChunkValueKind = 'buffer',
  ) {
    // Another tab or an updated app wants to upgrade the schema: let it, instead of blocking it.
    db.addEventListener('versionchange', () => {
      this.lost(new RepriseError('aborted', 'another tab or a newer version of the app upgraded the offline store; reload the page to go on'));
      db.close();
    });
    // Closed abnormally by the browser (storage cleared, disk error).
    db.addEventListener('close', () => this.lost(new RepriseError('storage-failed', 'the browser closed the offline store (its data was cleared or the disk failed); reload the page to go on')));
  }

  private lost(reason: RepriseError): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    this.onClosed?.(reason);
  }

  /** Runs a store operation; a browser error becomes `quota-exceeded` or `storage-failed` saying what failed. */
  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closedBy) throw this.closedBy;
    try {
      return await op();
    } catch (cause) {
      throw this.closedBy ?? toStoreError(cause, what);
    }
  }

  readMeta(): Promise<MetaRecord> {
    return this.guard('read the state record', async () => parseMeta(await this.db.get('meta', 'state')));
  }

  writeMeta(meta: MetaRecord): Promise<void> {
    return this.guard('write the state record', async () => void (await this.db.put('meta', { ...meta, schemaVersion: SCHEMA_VERSION }, 'state')));
  }

  /** Writes verified chunks in one transaction: all of them or none (a quota error aborts it). */
  /**
   * Writes verified chunks, a batch per transaction. When the quota refuses the batch, the
   * chunks are written one at a time until one does not fit: what fits is kept (and listed in
   * the error's `details.committed`), so a full device costs at most the chunk that did not fit.
   */
  async putChunks(chunks: readonly ChunkWrite[]): Promise<void> {
    if (chunks.length === 0) return;
    try {
      await this.writeChunks(chunks);
    } catch (error) {
      if ((error as RepriseError).name !== 'quota-exceeded' || chunks.length === 1) throw error;
      const committed: string[] = [];
      for (const chunk of chunks) {
        try {
          await this.writeChunks([chunk]);
        } catch (one) {
          if ((one as RepriseError).name === 'quota-exceeded') (one as RepriseError).details.committed = committed;
          throw one;
        }
        committed.push(chunk.digest);
      }
    }
  }

  /** Writes a probe of `bytes` and removes it: whether the quota has room for that much now. */
  async probeRoom(bytes: number): Promise<boolean> {
    try {
      await this.writeChunks([{ digest: PROBE_KEY, bytes: new ArrayBuffer(bytes) }]);
    } catch (error) {
      if ((error as RepriseError).name === 'quota-exceeded') return false;
      throw error;
    }
    await this.deleteChunks([PROBE_KEY]);
    return true;
  }

  private async writeChunks(chunks: readonly ChunkWrite[]): Promise<void> {
    const kind = this.chunkValues;
    try {
      await this.writeChunksAs(chunks, kind);
    } catch (error) {
      if (kind !== 'blob' || (error as RepriseError).name !== 'storage-failed' || this.closedBy) throw error;
      // Blob values refused ("Error preparing Blob/File data…" in a WebKit ephemeral session): if
      // the same chunks store as ArrayBuffers, this browser cannot keep Blobs; write buffers from now on.
      await this.writeChunksAs(chunks, 'buffer').catch(() => {
        throw error;
      });
      this.chunkValues = 'buffer';
    }
  }

  private async writeChunksAs(chunks: readonly ChunkWrite[], kind: ChunkValueKind): Promise<void> {
    if (this.closedBy) throw this.closedBy;
    // Relaxed durability (IndexedDB 3.0): the commit survives a closed tab or a killed worker,
    // which is what storage invariant 2 needs; only a power cut could lose it, and a lost chunk
    // is fetched again. Chromium writes ~1.5× faster this way.
    const tx = this.db.transaction('chunks', 'readwrite', { durability: 'relaxed' });
    // A quota error can surface as a throw from put() or as the transaction's abort: watch both.
    tx.done.catch(() => {});
    try {
      // A Blob copies the bytes when it is made: the caller may reuse the buffer once this returns.
      for (const chunk of chunks) void tx.store.put({ bytes: kind === 'blob' ? (chunk.value ?? new Blob([chunk.bytes])) : chunk.bytes }, chunk.digest).catch(() => {});
      await tx.done;
    } catch (cause) {
      throw this.closedBy ?? toStoreError(cause, 'write chunks');
    }
  }

  /**
   * The value a chunk's write will store, made now (a Blob where chunks are stored as Blobs, else
   * nothing: the bytes are stored as they are). Making a 256 KiB Blob copies it and takes 1–4 ms
   * of the calling thread in Chromium: made as each chunk verifies, not sixteen in one write.
   */
  prepareValue(bytes: ArrayBuffer): Blob | undefined {
    return this.chunkValues === 'blob' ? new Blob([bytes]) : undefined;
  }

  async getChunk(digest: string): Promise<ArrayBuffer | undefined> {
    return (await this.getChunks([digest]))[0];
  }

  /** Reads several chunks in one transaction; missing ones come back undefined. */
  getChunks(digests: readonly string[]): Promise<(ArrayBuffer | undefined)[]> {
    return this.guard('read chunks', async () => Promise.all((await this.readChunkValues(digests)).map((v) => (v === undefined ? undefined : chunkBytes(v)))));
  }

  /**
   * The stored values of several chunks as they are, in one transaction: a Blob (file-backed in
   * browsers: nothing is read into memory) or, for a store written before, an ArrayBuffer.
   */
  getChunkValues(digests: readonly string[]): Promise<(ArrayBuffer | Blob | undefined)[]> {
    return this.guard('read chunks', () => this.readChunkValues(digests));
  }

  private async readChunkValues(digests: readonly string[]): Promise<(ArrayBuffer | Blob | undefined)[]> {
    const tx = this.db.transaction('chunks', 'readonly');
    const values = await Promise.all(digests.map((d) => tx.store.get(d)));
    await tx.done;
    return values.map((v) => v?.bytes);
  }

  chunkKeys(): Promise<string[]> {
    return this.guard('list the stored chunks', async () => (await this.db.getAllKeys('chunks')).filter((k) => k !== PROBE_KEY));
  }

  deleteChunks(digests: readonly string[]): Promise<void> {
    return this.guard('delete chunks', async () => {
      for (let i = 0; i < digests.length; i += DELETE_BATCH) {
        const tx = this.db.transaction('chunks', 'readwrite');
        for (const d of digests.slice(i, i + DELETE_BATCH)) void tx.store.delete(d).catch(() => {});
        await tx.done;
      }
    });
  }

  playlists(): Promise<PlaylistRecord[]> {
    return this.guard('read the playlist records', () => this.db.getAll('playlists'));
  }

  putPlaylist(record: PlaylistRecord): Promise<void> {
    return this.guard('write a playlist record', async () => void (await this.db.put('playlists', record)));
  }

  /** Deletes a playlist record (a delete needs no room: what a full device can still do). */
  deletePlaylist(id: string): Promise<void> {
    return this.guard('delete a playlist record', async () => void (await this.db.delete('playlists', id)));
  }

  tracks(): Promise<TrackRecord[]> {
    return this.guard('read the track records', () => this.db.getAll('tracks'));
  }

  putTrack(record: TrackRecord): Promise<void> {
    return this.guard('write a track record', async () => void (await this.db.put('tracks', record)));
  }

  /** Format 2 parts held, by SHA-256. */
  getPart(sha256: string): Promise<ArrayBuffer | undefined> {
    return this.guard('read a manifest part', () => this.db.get('parts', sha256));
  }

  /** Stores the parts of an accepted root and drops the parts no longer pinned, in one transaction. */
  replaceParts(parts: ReadonlyMap<string, ArrayBuffer>, keep: ReadonlySet<string>): Promise<void> {
    return this.guard('write manifest parts', async () => {
      const tx = this.db.transaction('parts', 'readwrite');
      const keys = await tx.store.getAllKeys();
      for (const k of keys) if (!keep.has(k)) void tx.store.delete(k).catch(() => {});
      for (const [sha, body] of parts) void tx.store.put(body, sha).catch(() => {});
      await tx.done;
    });
  }

  getChunkLists(contentIds: readonly string[]): Promise<(ArrayBuffer | undefined)[]> {
    return this.guard('read chunk lists', async () => {
      const tx = this.db.transaction('chunkLists', 'readonly');
      const values = await Promise.all(contentIds.map((c) => tx.store.get(c)));
      await tx.done;
      return values;
    });
  }

  putChunkLists(lists: ReadonlyMap<string, ArrayBuffer>): Promise<void> {
    if (lists.size === 0) return Promise.resolve();
    return this.guard('write chunk lists', async () => {
      const tx = this.db.transaction('chunkLists', 'readwrite');
      for (const [contentId, body] of lists) void tx.store.put(body, contentId).catch(() => {});
      await tx.done;
    });
  }

  /** Drops the chunk lists of content no longer kept. */
  deleteChunkLists(contentIds: readonly string[]): Promise<void> {
    if (contentIds.length === 0) return Promise.resolve();
    return this.guard('delete chunk lists', async () => {
      const tx = this.db.transaction('chunkLists', 'readwrite');
      for (const c of contentIds) void tx.store.delete(c).catch(() => {});
      await tx.done;
    });
  }

  chunkListKeys(): Promise<string[]> {
    return this.guard('list chunk lists', () => this.db.getAllKeys('chunkLists'));
  }

  /** clear(): content, choices, play history and audit marks go; the meta record (security state) stays. */
  clearContent(): Promise<void> {
    return this.guard('clear the stored content', async () => {
      const tx = this.db.transaction(['chunks', 'playlists', 'tracks', 'audits'], 'readwrite');
      await Promise.all([tx.objectStore('chunks').clear(), tx.objectStore('playlists').clear(), tx.objectStore('tracks').clear(), tx.objectStore('audits').clear(), tx.done]);
    });
  }

  /** Digests already verified by audit `id` (to resume an interrupted audit without re-hashing). */
  auditedBy(id: string): Promise<Set<string>> {
    return this.guard('read the audit marks', async () => {
      const tx = this.db.transaction('audits', 'readonly');
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
      return new Set(keys.filter((_, i) => values[i] === id));
    });
  }

  clearAudits(): Promise<void> {
    return this.guard('clear the audit marks', () => this.db.clear('audits'));
  }

  /** One audit batch, in one transaction: marks what verified, deletes what did not. */
  commitAudit(id: string, verified: readonly string[], corrupt: readonly string[]): Promise<void> {
    return this.guard('record an audit batch', async () => {
      if (corrupt.length === 0) {
        // Only marks: the chunk store stays out of this write, so reads of it (the audit's next
        // batch, playback) need not wait for the commit.
        const tx = this.db.transaction('audits', 'readwrite');
        for (const d of verified) void tx.store.put(id, d).catch(() => {});
        await tx.done;
        return;
      }
      const tx = this.db.transaction(['chunks', 'audits'], 'readwrite');
      const audits = tx.objectStore('audits');
      const chunks = tx.objectStore('chunks');
      for (const d of verified) void audits.put(id, d).catch(() => {});
      for (const d of corrupt) {
        void chunks.delete(d).catch(() => {});
        void audits.delete(d).catch(() => {});
      }
      await tx.done;
    });
  }

  close(): void {
    this.closedBy ??= new RepriseError('aborted', 'this cache is closed; open a new one');
    this.db.close();
  }
}

/**
 * A browser storage error as a reprise error: QuotaExceededError (a DOMException; fake-indexeddb
 * and the browsers agree on the name) → `quota-exceeded`; any other DOMException →
 * `storage-failed`. Anything else (not a storage error) is returned as it is.
 */
export function toStoreError(cause: unknown, what = 'write to the offline store'): unknown {
  if (cause instanceof RepriseError) return cause;
  const name = (cause as { name?: string } | null)?.name;
  const message = (cause as { message?: string } | null)?.message;
  if (name === 'QuotaExceededError') {
    return new RepriseError('quota-exceeded', `IndexedDB refused to ${what}: the storage quota for this site is full`, {}, { cause });
  }
  if (typeof DOMException !== 'undefined' && cause instanceof DOMException) {
    return new RepriseError('storage-failed', `IndexedDB could not ${what} (${name}${message ? `: ${message}` : ''})`, {}, { cause });
  }
  return cause;
}
