import { createHash } from 'node:crypto';
import { wrap, type IDBPDatabase } from 'idb';

/** What the chunk store holds: digests whose bytes match, and keys whose bytes do not. */
export interface ChunkAudit {
  verified: Set<string>;
  /** Every key, verified or not. */
  present: Set<string>;
  bad: string[];
}

/** Reads every stored chunk on a connection of its own and checks each against its key (its digest). */
export async function auditChunks(factory: IDBFactory, name = 'reprise'): Promise<ChunkAudit> {
  const db = (await wrap(factory.open(name))) as unknown as IDBPDatabase;
  try {
    if (!db.objectStoreNames.contains('chunks')) return { verified: new Set(), present: new Set(), bad: [] };
    const keys = (await db.getAllKeys('chunks')) as string[];
    const values = (await db.getAll('chunks')) as { bytes: ArrayBuffer }[];
    const verified = new Set<string>();
    const bad: string[] = [];
    keys.forEach((k, i) => (createHash('sha256').update(new Uint8Array(values[i]!.bytes)).digest('base64url') === k ? verified.add(k) : bad.push(k)));
    return { verified, present: new Set(keys), bad };
  } finally {
    db.close();
  }
}

/** A file on the origin as the manifest cuts it. */
export interface CutFile {
  path: string;
  size: number;
  chunkSize: number;
  chunks: string[];
}

/** Digests of the whole chunks a set of responses carried (a chunk cut short does not count). */
export function chunksDelivered(files: readonly CutFile[], requests: readonly { path: string; range: string | undefined; bytes: number; status?: number }[]): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: string[] = [];
  for (const r of requests) {
    const f = byPath.get(r.path);
    if (!f || (r.status !== undefined && r.status !== 200 && r.status !== 206)) continue;
    const start = r.range && r.status !== 200 ? Number(/bytes=(\d+)-/.exec(r.range)?.[1] ?? 0) : 0;
    const end = start + r.bytes;
    for (let i = Math.ceil(start / f.chunkSize); i < f.chunks.length && Math.min(f.size, (i + 1) * f.chunkSize) <= end; i++) out.push(f.chunks[i]!);
  }
  return out;
}
