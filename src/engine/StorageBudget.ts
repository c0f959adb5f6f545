import { chunkLength } from '../manifest/Catalog.js';
import type { Scheduler } from '../scheduler/Scheduler.js';
import type { PlaylistRecord } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { Inventory } from './Inventory.js';
import { lastUsed, offlinePlaylists } from './offlineSelection.js';
import type { ResolvedOptions } from './options.js';
import { requestPersistence, storageEstimate } from './platform.js';
import type { TrustState } from './TrustState.js';

/** How often a quota pause looks at `navigator.storage.estimate()` again. */
const QUOTA_POLL_MS = 30_000;

/**
 * What the device may hold: the `maxBytes` budget (least recently used playlists released
 * first), garbage collection of content nothing needs (storage invariant 5), the quota, and
 * persistent storage.
 */
export class StorageBudget {
  persisted: boolean | null = null;
  private persistAsked = false;
  private quotaWatch: AbortController | undefined;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly store: Store,
    private readonly trust: TrustState,
    private readonly inventory: Inventory,
    private readonly scheduler: Scheduler,
    private readonly isPaused: () => boolean,
  ) {}

  /**
   * While the offline playlists need more than `maxBytes`, release the least recently used one
   * that is not pinned. Content another offline playlist needs stays.
   */
  async enforce(): Promise<void> {
    const catalog = this.trust.catalog;
    if (!Number.isFinite(this.opts.maxBytes) || !catalog) return;
    const needBytes = () => {
      let n = 0;
      const seen = new Set<string>();
      for (const t of this.inventory.neededTracks(catalog)) t.track.chunks.forEach((d, i) => !seen.has(d) && (seen.add(d), (n += chunkLength(t.track, i))));
      return n;
    };
    const { choices } = this.inventory;
    let evicted = false;
    while (needBytes() > this.opts.maxBytes) {
      const candidates = offlinePlaylists(this.inventory.selection(catalog)).filter((p) => !choices.get(p.id)?.pinned);
      if (candidates.length <= 1) break; // never evict the last playlist to make room for itself
      const victim = candidates.sort((a, b) => lastUsed(a.id, choices) - lastUsed(b.id, choices))[0]!;
      const record: PlaylistRecord = { ...(choices.get(victim.id) ?? { id: victim.id }), offline: false, evicted: true };
      await this.inventory.putChoice(record);
      evicted = true;
    }
    if (evicted) await this.collectGarbage();
  }

  /** Deletes stored chunks no offline playlist needs — only under a trusted manifest (invariant 3). */
  async collectGarbage(): Promise<void> {
    if (!this.trust.servable) return;
    const needed = this.inventory.neededDigests(this.trust.catalog);
    const { have, heldBackChunks } = this.inventory;
    const unneeded = [...have, ...heldBackChunks].filter((d) => !needed.has(d));
    if (unneeded.length === 0) return;
    await this.store.deleteChunks(unneeded);
    for (const d of unneeded) {
      have.delete(d);
      heldBackChunks.delete(d);
    }
  }

  /** After content was released: free it, and give a quota pause another chance. */
  async release(): Promise<void> {
    await this.collectGarbage();
    await this.refreshSpace();
    this.scheduler.resume('quota-exceeded');
  }

  /** The queue does not start a track the origin has no room for (it pauses `quota-exceeded` instead of failing half-way). */
  async refreshSpace(): Promise<void> {
    const estimate = await storageEstimate();
    if (estimate?.quota === undefined || estimate.usage === undefined) return;
    this.scheduler.setSpaceLeft(Math.max(0, estimate.quota - estimate.usage));
  }

  /** While paused for quota, look again every 30 s: the browser or the user may have freed space. */
  watchQuota(): void {
    if (this.quotaWatch) return;
    const timer = new AbortController();
    this.quotaWatch = timer;
    const loop = async () => {
      try {
        while (!timer.signal.aborted && this.isPaused()) {
          await this.opts.clock.sleep(QUOTA_POLL_MS, timer.signal);
          const estimate = await storageEstimate();
          const room = (estimate?.quota ?? 0) - (estimate?.usage ?? Infinity);
          if (room > (this.trust.catalog?.maxChunkSize() ?? 0)) {
            await this.refreshSpace();
            this.scheduler.resume('quota-exceeded');
          }
        }
      } catch {
        // aborted
      } finally {
        if (this.quotaWatch === timer) this.quotaWatch = undefined;
      }
    };
    void loop();
  }

  /** One `navigator.storage.persist()` request per engine, when the user first keeps music offline. */
  async askPersist(): Promise<void> {
    if (this.persistAsked) return;
    this.persistAsked = true;
    this.persisted = await requestPersistence();
  }

  close(): void {
    this.quotaWatch?.abort();
  }
}
