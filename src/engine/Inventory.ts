import { isRepriseError } from '../errors/RepriseError.js';
import { type Catalog, type CatalogTrack, chunkLength } from '../manifest/Catalog.js';
import type { PlaylistRecord, TrackFailure, TrackRecord } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import { TaskSlicer } from '../manifest/v2/TaskSlicer.js';
import { type SelectionInput, neededTracks } from './offlineSelection.js';

/**
 * What this device holds and has chosen: the chunks present (and held back), the device's
 * playlist choices, the per-track records (completed content, failures, plays) — the engine's
 * memory of the store, kept in step with every write.
 */
export class Inventory {
  /** Digests of stored chunks that count as present (verified when written or audited). */
  readonly have: Set<string>;
  /** Chunks that failed an audit against the stored manifest: kept in the store, never counted as present. */
  readonly heldBackChunks = new Set<string>();
  readonly choices: Map<string, PlaylistRecord>;
  readonly trackRecords: Map<string, TrackRecord>;
  /** Playlists remove()d since the last sync: the service's record applies again only then. */
  readonly removed = new Set<string>();
  /** Chunks a read found corrupt since the last sync (reported as partial-loss). */
  readonly corruptSinceSync = new Set<string>();
  /** Committed batches so far (to tell whether a store listing raced with a write). */
  commits = 0;
  /** Tracks being played while chunks are missing, with the chunk playback needs first (most recent last). */
  readonly streaming = new Map<string, number>();

  constructor(
    private readonly store: Store,
    have: string[],
    playlists: PlaylistRecord[],
    tracks: TrackRecord[],
  ) {
    this.have = new Set(have);
    this.choices = new Map(playlists.map((p) => [p.id, p]));
    this.trackRecords = new Map(tracks.map((t) => [t.id, t]));
  }

  selection(catalog: Catalog | undefined): SelectionInput {
    return { catalog, choices: this.choices, removed: this.removed };
  }

  /** Tracks of offline playlists in download priority order. */
  neededTracks(catalog: Catalog | undefined): CatalogTrack[] {
    return neededTracks(this.selection(catalog));
  }

  neededDigests(catalog: Catalog | undefined): Set<string> {
    const set = new Set<string>();
    for (const t of this.neededTracks(catalog)) for (const d of t.track.chunks) set.add(d);
    return set;
  }

  /** Tracks played and kept without an offline playlist (plus those streaming now), least recently played first. */
  playedTracks(catalog: Catalog | undefined): CatalogTrack[] {
    if (!catalog) return [];
    const out: CatalogTrack[] = [];
    for (const r of [...this.trackRecords.values()].sort((a, b) => (a.lastPlayedAt ?? 0) - (b.lastPlayedAt ?? 0))) {
      const t = catalog.tracks.get(r.id);
      if (t && !t.refused && t.chunks && (r.cachedByPlay || this.streaming.has(r.id))) out.push(t);
    }
    for (const id of this.streaming.keys()) {
      const t = catalog.tracks.get(id);
      if (t && !t.refused && t.chunks && !out.includes(t)) out.push(t);
    }
    return out;
  }

  /**
   * Format 2: tracks played and kept whose chunk list the catalog does not have yet (a new root,
   * the move from v1): without it their chunks would not count as kept (storage invariant 5).
   */
  playedAwaitingChunkList(catalog: Catalog): CatalogTrack[] {
    const out: CatalogTrack[] = [];
    for (const r of this.trackRecords.values()) {
      const t = r.cachedByPlay || this.streaming.has(r.id) ? catalog.tracks.get(r.id) : undefined;
      if (t && !t.refused && t.chunks === undefined) out.push(t);
    }
    return out;
  }

  /** Digests to keep: what the offline playlists need, and what was played. */
  keptDigests(catalog: Catalog | undefined): Set<string> {
    const set = this.neededDigests(catalog);
    for (const t of this.playedTracks(catalog)) for (const d of t.track.chunks) set.add(d);
    return set;
  }

  /** Missing chunk indices; for a track playing now, from the chunk playback needs, then the rest. */
  missingIndices(t: CatalogTrack): number[] {
    const from = this.streaming.get(t.entry.id);
    const all = this.missingInOrder(t);
    if (from === undefined || from === 0) return all;
    return [...all.filter((i) => i >= from), ...all.filter((i) => i < from)];
  }

  private missingInOrder(t: CatalogTrack): number[] {
    const out: number[] = [];
    t.track.chunks.forEach((d, i) => {
      if (!this.have.has(d)) out.push(i);
    });
    return out;
  }

  isComplete(t: CatalogTrack): boolean {
    return t.track.chunks.every((d) => this.have.has(d));
  }

  /** The track's recorded failure, if it concerns the content it has now. */
  failureOf(t: CatalogTrack): TrackFailure | undefined {
    const failure = this.trackRecords.get(t.entry.id)?.failure;
    return failure && failure.contentId === t.contentId ? failure : undefined;
  }

  /** "none only checks that the chunk records are present": the store's, not this memory of them. */
  async refreshPresence(slicer: TaskSlicer = new TaskSlicer()): Promise<void> {
    const commitsBefore = this.commits;
    const stored = new Set(await this.store.chunkKeys());
    await slicer.check();
    let n = 0;
    if (this.commits === commitsBefore) {
      for (const d of this.have) {
        if (!stored.has(d)) this.have.delete(d);
        if ((++n & 4095) === 0) await slicer.check();
      }
    }
    for (const d of stored) {
      if (!this.heldBackChunks.has(d)) this.have.add(d);
      if ((++n & 4095) === 0) await slicer.check();
    }
  }

  /**
   * Chunks of tracks that were complete (with the content they still have) and are gone now,
   * or that a read found corrupt since.
   */
  async lostChunks(needed: readonly CatalogTrack[], slicer: TaskSlicer = new TaskSlicer()): Promise<Set<string>> {
    const lost = new Set<string>(this.corruptSinceSync);
    for (const [i, t] of needed.entries()) {
      if ((i & 255) === 255) await slicer.check();
      if (this.trackRecords.get(t.entry.id)?.completedContentId !== t.contentId) continue;
      for (const d of t.track.chunks) if (!this.have.has(d)) lost.add(d);
    }
    return lost;
  }

  /**
   * Tracks that were complete on the device and cannot be played until a trusted manifest
   * verifies them: all of them while the stored manifest is not trusted, else those with chunks
   * held back (failed against the stored manifest, kept while the new one is unreachable).
   * Damage under a trusted manifest is not held back: it is fetched again (`toFetch`).
   */
  heldBackTracks(catalog: Catalog | undefined, trusted: boolean): number {
    let n = 0;
    for (const record of this.trackRecords.values()) {
      if (!record.completedContentId) continue;
      if (!trusted) {
        n++;
        continue;
      }
      const t = catalog?.tracks.get(record.id);
      if (t && t.contentId === record.completedContentId && t.chunks?.some((d) => this.heldBackChunks.has(d))) n++;
    }
    return n;
  }

  /** Offline content present (kept) and missing (to fetch), each distinct chunk counted once; `fetchedNow` counts as missing. */
  contentTotals(needed: readonly CatalogTrack[], fetchedNow: ReadonlySet<string> = new Set()) {
    const totals = new ContentTotals(this, fetchedNow);
    for (const t of needed) totals.add(t);
    return totals.result();
  }

  /** {@link contentTotals} in slices, for a sync's report. */
  async contentTotalsSliced(needed: readonly CatalogTrack[], fetchedNow: ReadonlySet<string>, slicer: TaskSlicer) {
    const totals = new ContentTotals(this, fetchedNow);
    for (const [i, t] of needed.entries()) {
      totals.add(t);
      if ((i & 127) === 127) await slicer.check();
    }
    return totals.result();
  }

  async putTrack(record: TrackRecord): Promise<void> {
    this.trackRecords.set(record.id, record);
    await this.store.putTrack(record);
  }

  async putChoice(record: PlaylistRecord): Promise<void> {
    this.choices.set(record.id, record);
    await this.store.putPlaylist(record);
  }

  /**
   * Records a choice that lets a playlist go (not offline, or removed) on a device that may be
   * full: when the quota refuses it, `free()` runs first (deletes fit; the choice holds in memory
   * already) and the record is written again; still no room (Chromium counts deleted blobs for a
   * while), the record is deleted — a delete needs no room, and without it the playlist is not the
   * device's choice either — unless `mustKeep` (the record alone says "not offline").
   */
  async putLettingGo(record: PlaylistRecord, free: () => Promise<void>, mustKeep = false): Promise<void> {
    try {
      return await this.putChoice(record);
    } catch (error) {
      if (!isRepriseError(error, 'quota-exceeded')) throw error;
    }
    await free();
    try {
      await this.putChoice(record);
    } catch (error) {
      if (!isRepriseError(error, 'quota-exceeded') || mustKeep) throw error;
      await this.forgetChoice(record.id);
    }
  }

  /** Forgets the device's record of a playlist (its play mark too): written where nothing fits any more. */
  async forgetChoice(id: string): Promise<void> {
    this.choices.delete(id);
    await this.store.deletePlaylist(id);
  }

  /**
   * Recorded failures get another chance: all of them when a new manifest was accepted, those
   * `only` picks otherwise (tracks that gave up on network errors, once the network is back).
   * Returns how many were forgotten.
   */
  async forgetFailures(only: (failure: TrackFailure) => boolean = () => true): Promise<number> {
    let forgotten = 0;
    for (const id of [...this.trackRecords.keys()]) {
      // As it is now: a play noted during an earlier write (outside the operation queue) is kept.
      const record = this.trackRecords.get(id);
      if (!record?.failure || !only(record.failure)) continue;
      const { failure: _, ...rest } = record;
      await this.putTrack(rest);
      forgotten++;
    }
    return forgotten;
  }

  /** A track was served: remembered for download priority and the storage budget's LRU. */
  async notePlay(trackId: string, catalog: Catalog | undefined, now: number): Promise<void> {
    await this.putTrack({ ...(this.trackRecords.get(trackId) ?? { id: trackId }), lastPlayedAt: now });
    for (const p of catalog?.playlists.values() ?? []) {
      if (p.trackIds.includes(trackId)) await this.putChoice({ ...(this.choices.get(p.id) ?? { id: p.id }), lastPlayedAt: now });
    }
  }

  forgetContent(): void {
    this.have.clear();
    this.heldBackChunks.clear();
    this.choices.clear();
    this.trackRecords.clear();
    this.removed.clear();
  }
}

/** Kept and to-fetch totals, one track at a time (each distinct chunk counted once). */
class ContentTotals {
  private readonly kept = { tracks: 0, bytes: 0 };
  private readonly toFetch = { tracks: 0, bytes: 0 };
  private readonly seenKept = new Set<string>();
  private readonly seenMissing = new Set<string>();

  constructor(
    private readonly inventory: Inventory,
    private readonly fetchedNow: ReadonlySet<string>,
  ) {}

  add(t: CatalogTrack): void {
    const { have } = this.inventory;
    const chunks = t.track.chunks;
    // A track that failed is not fetched (it waits for a new manifest): neither its count nor its bytes are to fetch.
    const failed = this.inventory.failureOf(t) !== undefined;
    let complete = true;
    for (let i = 0; i < chunks.length; i++) {
      const digest = chunks[i]!;
      if (have.has(digest) && !this.fetchedNow.has(digest)) {
        if (!this.seenKept.has(digest)) {
          this.seenKept.add(digest);
          this.kept.bytes += chunkLength(t.entry, i);
        }
      } else {
        complete = false;
        if (!failed && !this.seenMissing.has(digest)) {
          this.seenMissing.add(digest);
          this.toFetch.bytes += chunkLength(t.entry, i);
        }
      }
    }
    if (complete) this.kept.tracks++;
    else if (!failed) this.toFetch.tracks++;
  }

  result() {
    return { kept: this.kept, toFetch: this.toFetch };
  }
}
