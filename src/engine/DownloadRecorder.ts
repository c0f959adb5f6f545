import type { VerifiedChunk } from '../downloader/ChunkSink.js';
import type { ErrorCode } from '../errors/codes.js';
import type { RepriseError } from '../errors/RepriseError.js';
import type { CatalogTrack } from '../manifest/Catalog.js';
import type { SchedulerJob } from '../scheduler/SchedulerJob.js';
import type { Store } from '../store/Store.js';
import type { Clock } from '../util/clock.js';
import type { ChunkNewsPublisher } from './ChunkNews.js';
import type { Emitter } from './Emitter.js';
import type { Inventory } from './Inventory.js';
import type { Planner } from './Planner.js';
import type { ProgressReporter } from './ProgressReporter.js';
import type { TrustState } from './TrustState.js';
import type { CacheEvents } from './types.js';

/**
 * Failures that say something about the track on the origin, and so are remembered with it
 * until a new manifest arrives. Anything else (storage, a cancelled download, a bug) is not the
 * track's fault: it is reported but not recorded.
 */
export const TRACK_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set(['network', 'not-found', 'integrity-mismatch', 'origin-not-allowed', 'unauthorized']);

/** What a finished download changes: committed chunks, completed and failed tracks, and their events. */
export class DownloadRecorder {
  /** Chunks committed while a sync() runs: its report counts them as fetched, not kept. */
  fetchedDuringSync: Set<string> | undefined;

  constructor(
    private readonly store: Store,
    private readonly trust: TrustState,
    private readonly inventory: Inventory,
    private readonly planner: Planner,
    private readonly progress: ProgressReporter,
    private readonly events: Emitter<CacheEvents>,
    private readonly clock: Clock,
    private readonly news: ChunkNewsPublisher,
  ) {}

  async commit(trackId: string, chunks: VerifiedChunk[]): Promise<void> {
    try {
      this.news.verified(chunks); // a reader waiting for one of them streams it while it is written
      await this.store.putChunks(chunks);
    } catch (error) {
      // The quota took part of the batch: what it took is stored and counts.
      const committed = new Set((error as RepriseError).details?.committed as string[] | undefined);
      if (committed.size > 0) this.stored(trackId, chunks.filter((c) => committed.has(c.digest)));
      if ((error as RepriseError).name === 'quota-exceeded') this.onQuota?.(error as RepriseError);
      throw error;
    }
    this.stored(trackId, chunks);
  }

  /** The job's track as the manifest in force lists it, if with the content the job fetches. */
  private current(job: SchedulerJob): CatalogTrack | undefined {
    const t = this.trust.catalog?.tracks.get(job.trackId);
    return t?.contentId === job.contentId ? t : undefined;
  }

  /** The manifest in force lists other content for the job's track, or no such track. */
  isReplaced(job: SchedulerJob): boolean {
    return this.current(job) === undefined;
  }

  /** Set by the storage budget: a write hit the quota. */
  onQuota: ((error: RepriseError) => void) | undefined;

  private stored(trackId: string, chunks: VerifiedChunk[]): void {
    this.inventory.commits++;
    this.news.stored(chunks.map((c) => c.digest));
    const { have, heldBackChunks } = this.inventory;
    for (const c of chunks) {
      heldBackChunks.delete(c.digest); // a verified copy replaced the bad one
      this.fetchedDuringSync?.add(c.digest);
      if (have.has(c.digest)) continue;
      have.add(c.digest);
      this.progress.stored(c.digest);
    }
    this.progress.schedule(trackId);
  }

  /**
   * The scheduler found nothing more to fetch for the job. The track is recorded complete only
   * with the content the manifest in force lists for it, every chunk present.
   */
  async complete(job: SchedulerJob, downloaded: boolean): Promise<void> {
    const { trackId } = job;
    // A job for content the manifest no longer lists for this track completes nothing; what it
    // wrote is freed when its run ends (the scheduler's isReplaced hook).
    const t = this.current(job);
    if (!t) return;
    if (!this.inventory.isComplete(t)) return;
    if (downloaded) this.progress.schedule(trackId);
    const same = [...this.planner.tracksWithContent(t.contentId)];
    if (!same.some((s) => s.entry.id === trackId)) same.unshift(t);
    // Events first (the chunks are committed already); the records that follow are bookkeeping.
    if (downloaded) for (const s of same) this.events.emit('track-complete', { trackId: s.entry.id });
    const offline = new Set(this.inventory.neededTracks(this.trust.catalog).map((n) => n.entry.id));
    for (const s of same) {
      const playing = this.inventory.streaming.delete(s.entry.id);
      const record = { ...(this.inventory.trackRecords.get(s.entry.id) ?? { id: s.entry.id }), completedContentId: t.contentId, bytes: t.entry.size };
      delete record.failure;
      if (playing && !offline.has(s.entry.id)) record.cachedByPlay = true;
      await this.inventory.putTrack(record).catch(() => {});
    }
  }

  /**
   * The origin refused the track and it waits aside for a region lock's verdict: a play waiting for
   * it is answered now. It stays marked as played (so planned) until the verdict ends it or the
   * queue pauses: a refusal forgotten by the next plan would have no verdict.
   */
  refused(job: SchedulerJob, error: RepriseError): void {
    const t = this.current(job);
    if (!t) return;
    const ids = new Set([job.trackId, ...this.planner.tracksWithContent(t.contentId).map((s) => s.entry.id)]);
    for (const id of ids) if (this.inventory.streaming.has(id)) this.news.unavailable(id, error.code, error.message);
  }

  async failed(job: SchedulerJob, error: RepriseError): Promise<void> {
    const { trackId } = job;
    const t = this.current(job);
    if (!t) return;
    const same = [...this.planner.tracksWithContent(t.contentId)];
    if (!same.some((s) => s.entry.id === trackId)) same.unshift(t);
    for (const s of same) {
      this.events.emit('track-failed', { trackId: s.entry.id, code: error.code, message: error.message });
      if (this.inventory.streaming.delete(s.entry.id)) this.news.unavailable(s.entry.id, error.code, error.message);
    }
    if (!TRACK_FAILURE_CODES.has(error.code)) return;
    const failure = { code: error.code, message: error.message, at: this.clock.now(), contentId: t.contentId, ...(error.details.gaveUp ? { gaveUp: true } : {}) };
    for (const s of same) await this.inventory.putTrack({ ...(this.inventory.trackRecords.get(s.entry.id) ?? { id: s.entry.id }), failure }).catch(() => {});
  }
}
