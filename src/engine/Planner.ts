import { type CatalogTrack, chunkLength } from '../manifest/Catalog.js';
import type { Scheduler, SchedulerJob } from '../scheduler/Scheduler.js';
import type { AuditRunner } from './AuditRunner.js';
import type { Inventory } from './Inventory.js';
import type { ProgressReporter } from './ProgressReporter.js';
import type { TrustState } from './TrustState.js';

/**
 * The download plan: which tracks of the offline playlists miss chunks, in priority order, one
 * job per distinct content (equal content downloads once for every track id that has it).
 */
export class Planner {
  /** Needed tracks by content id, first the one whose id names its download. */
  private byContent = new Map<string, CatalogTrack[]>();

  constructor(
    private readonly trust: TrustState,
    private readonly inventory: Inventory,
    private readonly audits: AuditRunner,
    private readonly scheduler: Scheduler,
    private readonly progress: ProgressReporter,
    private readonly isClosed: () => boolean,
  ) {}

  /** Rebuilds the download queue from what is needed and missing now. */
  replan(options: { windowMs?: number } = {}): void {
    if (this.isClosed()) return;
    const catalog = this.trust.catalog;
    // Tracks playing now while chunks are missing come first (docs/how-it-works.md "Playback URL"), most recent first.
    const playing = [...this.inventory.streaming.keys()].reverse().flatMap((id) => {
      const t = catalog?.tracks.get(id);
      return t && !t.refused ? [t] : [];
    });
    const needed = [...playing, ...this.inventory.neededTracks(catalog).filter((t) => !this.inventory.streaming.has(t.entry.id))];
    // One pass, so completions and lookups stay O(1) with tens of thousands of tracks.
    this.byContent = new Map();
    for (const t of needed) {
      const list = this.byContent.get(t.contentId);
      if (list) list.push(t);
      else this.byContent.set(t.contentId, [t]);
    }
    if (!this.trust.mayFetch) {
      this.scheduler.setPlan([]);
      return;
    }
    const jobs: SchedulerJob[] = [];
    const planned: CatalogTrack[] = [];
    const contents = new Set<string>();
    for (const t of needed) {
      if (this.inventory.failureOf(t) || contents.has(t.contentId)) continue;
      contents.add(t.contentId);
      if (this.inventory.isComplete(t) && !this.audits.blocks(t)) continue;
      jobs.push(this.job(t));
      planned.push(t);
    }
    this.progress.plan(planned, this.inventory.have);
    this.scheduler.setPlan(jobs, { ...options, chunkSize: catalog!.maxChunkSize() });
  }

  tracksWithContent(contentId: string): CatalogTrack[] {
    return this.byContent.get(contentId) ?? [];
  }

  /** The scheduler's id for a track's download: equal content is planned once, under the first track id that needs it. */
  jobIdFor(t: CatalogTrack): string {
    return this.byContent.get(t.contentId)?.[0]?.entry.id ?? t.entry.id;
  }

  /** A job fetches what the track's entry in the manifest in force misses; a re-published entry is a new job (the scheduler swaps them). */
  private job(t: CatalogTrack): SchedulerJob {
    return {
      trackId: t.entry.id,
      contentId: t.contentId,
      url: t.url!,
      origin: t.origin!,
      request: () => {
        const missing = this.inventory.missingIndices(t);
        if (missing.length === 0) return undefined;
        const { id, mimeType, size, chunkSize, chunks } = t.track;
        return { trackId: id, url: t.url!, mimeType, size, chunkSize, digests: chunks, missing };
      },
      remainingBytes: () => this.inventory.missingIndices(t).reduce((n, i) => n + chunkLength(t.entry, i), 0),
      // A track whose stored chunks are still being audited waits: what it misses is not known yet.
      ready: () => !this.audits.blocks(t),
    };
  }
}
