import { chunkLength } from '../manifest/Catalog.js';
import type { Scheduler } from '../scheduler/Scheduler.js';
import type { PlaylistRecord } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { Inventory } from './Inventory.js';
import { lastUsed, offlinePlaylists } from './offlineSelection.js';
import type { ResolvedOptions } from './options.js';
import { requestPersistence, storageEstimate, storagePersisted } from './platform.js';
import type { TrustState } from './TrustState.js';

/**
 * While paused for quota, a one-chunk probe write asks the real quota whether there is room:
 * first after 30 s, then doubling up to 30 min. `estimate()` is not asked: Chromium reports
 * usage + 10 GiB whatever quota it enforces, so only a write tells the truth.
 */
export const QUOTA_PROBE = { firstMs: 30_000, capMs: 30 * 60_000 } as const;

/**
 * What the device may hold: the `maxBytes` budget (least recently used playlists released
 * first), garbage collection of content nothing needs (storage invariant 5), the quota, and
 * persistent storage.
 */
export class StorageBudget {
  persisted: boolean | null = null;
  /** What this origin used when a write last failed for quota: the real ceiling, whatever estimate() says. */
  ceiling: number | null = null;
  /** The ceiling being learned from the last quota hit. */
  private learning: Promise<void> = Promise.resolve();
  private persistAsked = false;
  private probing: AbortController | undefined;

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
      for (const t of this.inventory.neededTracks(catalog)) t.track.chunks.forEach((d, i) => !seen.has(d) && (seen.add(d), (n += chunkLength(t.entry, i))));
      return n;
    };
    const { choices } = this.inventory;
    let evicted = false;
    // Content kept because it was played goes first, least recently played first.
    const offline = this.inventory.neededDigests(catalog);
    for (const t of this.inventory.playedTracks(catalog)) {
      if (needBytes() + this.playedOnlyBytes(offline) <= this.opts.maxBytes) break;
      if (this.inventory.streaming.has(t.entry.id)) continue;
      evicted = (await this.forgetPlayed(t.entry.id)) || evicted;
    }
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

  /** Bytes of played content that no offline playlist needs. */
  private playedOnlyBytes(offline: ReadonlySet<string>): number {
    let n = 0;
    const seen = new Set<string>();
    for (const t of this.inventory.playedTracks(this.trust.catalog)) {
      t.track.chunks.forEach((d, i) => {
        if (!offline.has(d) && !seen.has(d) && this.inventory.have.has(d)) (seen.add(d), (n += chunkLength(t.entry, i)));
      });
    }
    return n;
  }

  private async forgetPlayed(trackId: string): Promise<boolean> {
    const record = this.inventory.trackRecords.get(trackId);
    if (!record?.cachedByPlay) return false;
    const { cachedByPlay: _, ...rest } = record;
    await this.inventory.putTrack(rest);
    return true;
  }

  /** Under quota pressure: frees the content kept only because it was played. True when some was freed. */
  async evictPlayed(): Promise<boolean> {
    let evicted = false;
    for (const t of this.inventory.playedTracks(this.trust.catalog)) {
      if (!this.inventory.streaming.has(t.entry.id)) evicted = (await this.forgetPlayed(t.entry.id)) || evicted;
    }
    if (evicted) await this.collectGarbage();
    return evicted;
  }

  /** Deletes stored chunks no offline playlist needs — only under a trusted manifest (invariant 3). */
  async collectGarbage(): Promise<void> {
    if (!this.trust.servable) return;
    const needed = this.inventory.keptDigests(this.trust.catalog);
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

  /**
   * The queue does not start a track the origin has no room for (it pauses `quota-exceeded`
   * instead of failing half-way): room is the estimate's, or the learned ceiling's when lower.
   */
  async refreshSpace(): Promise<void> {
    const estimate = await storageEstimate();
    const usage = estimate?.usage;
    if (usage === undefined) return;
    const quota = Math.min(estimate?.quota ?? Infinity, this.ceiling ?? Infinity);
    if (Number.isFinite(quota)) this.scheduler.setSpaceLeft(Math.max(0, quota - usage));
  }

  /**
   * A write failed for quota: remember how much the origin held then. Called before the queue
   * pauses, so a `status()` that reads the pause also waits for the ceiling (see `learned()`).
   */
  async quotaHit(): Promise<void> {
    const learning = storageEstimate(true).then((estimate) => void (this.ceiling = estimate?.usage ?? this.ceiling));
    this.learning = learning;
    await learning;
    // Offline content is never evicted; played content is, first (storage invariant 5).
    if (await this.evictPlayed()) this.scheduler.resume('quota-exceeded');
  }

  /** Once the last quota hit's ceiling is known: what `status()` reports with a pause it read. */
  async learned(): Promise<Pick<StorageBudget, 'ceiling'>> {
    await this.learning.catch(() => {});
    return this;
  }

  /** The queue is paused for quota: probe for room with backoff (never downloads to find out). */
  quotaPaused(): void {
    if (this.probing) return;
    const timer = new AbortController();
    this.probing = timer;
    const loop = async () => {
      try {
        for (let attempt = 0; !timer.signal.aborted && this.isPaused(); attempt++) {
          await this.opts.clock.sleep(Math.min(QUOTA_PROBE.capMs, QUOTA_PROBE.firstMs * 2 ** attempt), timer.signal);
          if (!this.isPaused()) break;
          if (await this.store.probeRoom(this.trust.catalog?.maxChunkSize() ?? 256 * 1024)) {
            this.ceiling = null; // the quota grew (or the browser freed space): learn it again
            await this.refreshSpace();
            this.scheduler.resume('quota-exceeded');
            break;
          }
        }
      } catch {
        // aborted, or the store closed
      } finally {
        if (this.probing === timer) this.probing = undefined;
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

  /** What the platform says now (the page may have been granted it), else the engine's own answer. */
  async persistence(): Promise<boolean | null> {
    if (this.persisted === true) return true;
    return (await storagePersisted()) ?? this.persisted;
  }

  close(): void {
    this.probing?.abort();
  }
}
