import type { Store } from '../store/Store.js';
import { sha256Base64Url } from '../util/sha256.js';

/** Chunks read, hashed and committed per batch: the same batching as writes (see ChunkSink). */
export const AUDIT_BATCH = 16;
/**
 * Bytes being read ahead while a batch is hashed and committed: three batches of 256 KiB chunks
 * (a stored Blob's bytes take a second round trip to the browser process; with one batch ahead
 * the audit ran at 0.82 of a raw read, with three 1.09 — bench line 3); fewer for larger chunks.
 */
const READ_AHEAD_BYTES = 3 * AUDIT_BATCH * 256 * 1024;

export interface AuditRun {
  store: Store;
  /** The audit's id; chunks it verified are marked with it and skipped if the audit resumes. */
  id: string;
  /** Digests to check, in the order to check them (priority order), each once. */
  digests: readonly string[];
  /** Digests this audit already verified before an interruption; not hashed again. */
  alreadyVerified?: ReadonlySet<string>;
  /** Called after each committed batch. */
  onBatch?(batch: { verified: string[]; corrupt: string[]; missing: string[] }, done: number, total: number): void;
  signal?: AbortSignal;
  /**
   * Delete chunks that fail (default). False while auditing against the stored manifest with the
   * new one unreachable: a refused or unreachable manifest deletes nothing (docs/how-it-works.md rule 4);
   * such chunks are only held back.
   */
  deleteCorrupt?: boolean;
  /** The largest chunk among them, in bytes (bounds the read-ahead); default 256 KiB. */
  maxChunkSize?: number;
}

export interface AuditResult {
  checked: number;
  bytesChecked: number;
  corrupt: string[];
  /** Digests that were expected but are not in the store. */
  missing: string[];
  skipped: number;
}

/**
 * Reads stored chunks in batches, hashes each and compares it with the digest it is stored
 * under — which is the digest of the manifest in force, since chunks are keyed by it. A chunk
 * that matches is marked verified for this audit; one that does not is deleted (it can never
 * match any manifest) and must be fetched again. Progress is committed batch by batch, so an
 * interrupted audit resumes where it stopped without hashing anything twice.
 */
export async function runAudit(run: AuditRun): Promise<AuditResult> {
  const result: AuditResult = { checked: 0, bytesChecked: 0, corrupt: [], missing: [], skipped: 0 };
  const toCheck = run.digests.filter((d) => !run.alreadyVerified?.has(d));
  result.skipped = run.digests.length - toCheck.length;
  let done = result.skipped;
  // The next batch is read while this one is hashed and committed (reads of Blob values wait on
  // the disk; hashing waits on the CPU).
  const read = (i: number) => {
    const batch = toCheck.slice(i, i + AUDIT_BATCH);
    const values = run.store.getChunks(batch);
    values.catch(() => {}); // awaited below, in order
    return { batch, values };
  };
  const readAhead = Math.max(1, Math.floor(READ_AHEAD_BYTES / (AUDIT_BATCH * (run.maxChunkSize ?? 256 * 1024))));
  const ahead: ReturnType<typeof read>[] = [];
  for (let j = 0; j < readAhead && j * AUDIT_BATCH < toCheck.length; j++) ahead.push(read(j * AUDIT_BATCH));
  for (let i = 0; i < toCheck.length; i += AUDIT_BATCH) {
    run.signal?.throwIfAborted();
    const { batch, values: reading } = ahead.shift()!;
    const values = await reading;
    const following = i + readAhead * AUDIT_BATCH;
    if (following < toCheck.length) ahead.push(read(following));
    const hashes = await Promise.all(values.map((v) => (v ? sha256Base64Url(v) : undefined)));
    const verified: string[] = [];
    const corrupt: string[] = [];
    const missing: string[] = [];
    batch.forEach((digest, k) => {
      const bytes = values[k];
      if (!bytes) return void missing.push(digest);
      result.checked++;
      result.bytesChecked += bytes.byteLength;
      (hashes[k] === digest ? verified : corrupt).push(digest);
    });
    await run.store.commitAudit(run.id, verified, run.deleteCorrupt === false ? [] : corrupt);
    result.corrupt.push(...corrupt);
    result.missing.push(...missing);
    done += batch.length;
    run.onBatch?.({ verified, corrupt, missing }, done, run.digests.length);
  }
  return result;
}
