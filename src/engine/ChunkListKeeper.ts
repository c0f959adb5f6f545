import { isRepriseError } from '../errors/RepriseError.js';
import type { Catalog, CatalogTrack } from '../manifest/Catalog.js';
import { fetchChunkList } from '../manifest/v2/fetchChunkList.js';
import { verifyChunkList } from '../manifest/v2/verifyChunkList.js';
import { TaskSlicer } from '../manifest/v2/TaskSlicer.js';
import { chunkListOf } from '../manifest/contentId.js';
import type { Store } from '../store/Store.js';
import type { ResolvedOptions } from './options.js';

/** Chunk lists fetched at once during a sync. */
const PARALLEL = 6;

/**
 * Format 2's chunk lists (docs/how-it-works.md: `GET <indexBase><contentId>`, kept with their content):
 * given to a catalog's tracks from the manifest that was in force (a device coming from v1 has
 * every digest already), from the store, or fetched — once per content, only for tracks the
 * device stores or plays. A list is used only when its SHA-256 is the content id.
 */
export class ChunkListKeeper {
  constructor(
    private readonly opts: ResolvedOptions,
    private readonly store: Store,
    private readonly allowed: ReadonlySet<string>,
  ) {}

  /** Lists held in the store, for every content of `catalog` that has one. */
  async attachStored(catalog: Catalog, slicer: TaskSlicer = new TaskSlicer()): Promise<void> {
    const wanted = catalog.contentsWithoutChunkList();
    if (wanted.length === 0) return;
    const held = new Set(await this.store.chunkListKeys());
    const ids = wanted.filter((c) => held.has(c));
    const bodies = await this.store.getChunkLists(ids);
    for (const [i, contentId] of ids.entries()) {
      const body = bodies[i];
      const t = catalog.tracksWithContent(contentId)[0];
      if (!body || !t) continue;
      try {
        catalog.attachChunkList(contentId, await verifyChunkList(new Uint8Array(body), { ...t.entry, contentId }));
      } catch {
        // A damaged list is fetched again when needed.
      }
      await slicer.check();
    }
  }

  /**
   * Gives `tracks` their chunk lists: from `previous` (same content), the store, or the network.
   * Returns the tracks whose list could not be had now (they are planned at the next sync).
   */
  async ensure(catalog: Catalog, tracks: readonly CatalogTrack[], previous?: Catalog): Promise<CatalogTrack[]> {
    const slicer = new TaskSlicer();
    const missing = new Map<string, CatalogTrack>();
    for (const t of tracks) if (t.chunks === undefined && !missing.has(t.contentId)) missing.set(t.contentId, t);
    if (missing.size === 0) return [];
    // Lists the manifest in force had: a format-2 one's are in the store already; a format-1
    // manifest's digests are stored now, as lists, with their content.
    const keep = new Map<string, ArrayBuffer>();
    let n = 0;
    for (const [contentId] of missing) {
      if ((++n & 63) === 0) await slicer.check();
      const known = previous?.tracksWithContent(contentId).find((p) => p.chunks)?.chunks;
      if (!known) continue;
      catalog.attachChunkList(contentId, known);
      if (previous!.format === 1) keep.set(contentId, concatDigests(known));
      missing.delete(contentId);
    }
    await this.store.putChunkLists(keep);
    if (missing.size > 0) await this.attachStored(catalog, slicer);
    const toFetch = [...missing.values()].filter((t) => t.chunks === undefined);
    const failed: CatalogTrack[] = [];
    const fetched = new Map<string, ArrayBuffer>();
    for (let i = 0; i < toFetch.length; i += PARALLEL) {
      await Promise.all(
        toFetch.slice(i, i + PARALLEL).map(async (t) => {
          const url = catalog.chunkListUrl(t.contentId);
          if (!url) return void failed.push(t);
          try {
            const { digests, body } = await fetchChunkList(url, { ...t.entry, contentId: t.contentId }, {
              fetch: this.opts.fetch,
              allowed: this.allowed,
              credentials: this.opts.credentials,
              authorize: this.opts.authorize,
              stall: { ms: this.opts.stallTimeoutMs, clock: this.opts.clock },
            });
            catalog.attachChunkList(t.contentId, digests);
            fetched.set(t.contentId, body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
          } catch (error) {
            if (!isRepriseError(error)) throw error;
            failed.push(t);
          }
        }),
      );
    }
    await this.store.putChunkLists(fetched);
    return failed;
  }
}

/** The raw 32-byte digests concatenated: the chunk list's wire form. */
function concatDigests(digests: readonly string[]): ArrayBuffer {
  return chunkListOf(digests).buffer;
}
