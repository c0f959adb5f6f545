/**
 * Chunk bytes as files in the origin private file system (OPFS): one file per chunk, named by its
 * digest, in a directory of the database's own (`reprise-chunks/<database name>`). The cache
 * worker writes them through `createSyncAccessHandle()` (a dedicated worker's synchronous file
 * access: no structured clone, no copy through the browser process, which is what made writing
 * 256 KiB values into IndexedDB the limit); every context reads them with `getFile()`, a
 * disk-backed `File`. IndexedDB keeps the record that says a chunk is stored: a file is written
 * and flushed before its record commits, and its record is deleted before the file
 * (docs/how-it-works.md, "Storage").
 */
export class ChunkFiles {
  private constructor(private readonly dir: FileSystemDirectoryHandle) {}

  /** The directory for database `dbName` in any context with OPFS, or undefined where there is none (WebKitGTK, Node). */
  static async open(dbName: string): Promise<ChunkFiles | undefined> {
    try {
      const storage = (globalThis as { navigator?: Navigator }).navigator?.storage;
      if (typeof storage?.getDirectory !== 'function') return undefined;
      const root = await (await storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
      return new ChunkFiles(await root.getDirectoryHandle(encodeURIComponent(dbName), { create: true }));
    } catch {
      return undefined;
    }
  }

  /**
   * The directory, only where chunks can be written here (a dedicated worker with
   * `createSyncAccessHandle`) and a probe file writes, reads back and goes away.
   */
  static async openForWriting(dbName: string): Promise<ChunkFiles | undefined> {
    const fileHandle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
    if (!fileHandle || !('createSyncAccessHandle' in fileHandle.prototype)) return undefined;
    const files = await ChunkFiles.open(dbName);
    if (!files) return undefined;
    try {
      const probe = new Uint8Array([1, 2, 3]);
      await files.write(PROBE, probe.buffer);
      const back = new Uint8Array(await (await files.read(PROBE)).arrayBuffer());
      await files.delete([PROBE]);
      return back.length === 3 && back[2] === 3 ? files : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes (or rewrites) one chunk's file and flushes it to disk; throws QuotaExceededError when it does not fit. */
  async write(digest: string, bytes: ArrayBuffer | ArrayBufferView): Promise<void> {
    const handle = await (await this.dir.getFileHandle(digest, { create: true })).createSyncAccessHandle();
    try {
      const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      handle.truncate(0);
      let at = 0;
      while (at < view.byteLength) at += handle.write(view.subarray(at), { at });
      handle.flush();
    } finally {
      handle.close();
    }
  }

  /** A chunk's file as a disk-backed File; an empty one when the file is gone (it then fails its digest like any damaged chunk). */
  async read(digest: string): Promise<Blob> {
    try {
      return await (await this.dir.getFileHandle(digest)).getFile();
    } catch (error) {
      if ((error as DOMException)?.name === 'NotFoundError') return new Blob([]);
      throw error;
    }
  }

  /** Removes chunks' files; one already gone is not an error. */
  async delete(digests: readonly string[]): Promise<void> {
    for (const digest of digests) {
      try {
        await this.dir.removeEntry(digest);
      } catch (error) {
        if ((error as DOMException)?.name !== 'NotFoundError') throw error;
      }
    }
  }

  /** Names of every file in the directory (chunks stored, or orphans of a write cut short). */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const name of (this.dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  }

  /** Removes every file whose name is not in `keep`: orphans of a crash between a file and its record, or of a deleted database. */
  async sweep(keep: ReadonlySet<string>): Promise<number> {
    const orphans = (await this.names()).filter((n) => !keep.has(n));
    await this.delete(orphans);
    return orphans.length;
  }
}

const ROOT = 'reprise-chunks';
const PROBE = 'write-probe';
