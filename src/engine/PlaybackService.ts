import { isRepriseError } from '../errors/isRepriseError.js';
import { RepriseError } from '../errors/RepriseError.js';
import { type CatalogTrack, assertNotRefused } from '../manifest/Catalog.js';
import { composeVerified } from '../playback/composeVerified.js';
import { composedBlobsSeek } from './platform.js';
import type { Scheduler } from '../scheduler/Scheduler.js';
import type { Store } from '../store/Store.js';
import type { Clock } from '../util/clock.js';
import { sha256Base64Url } from '../util/sha256.js';
import type { PlaybackReport } from './CacheEngine.js';
import type { ChunkListKeeper } from './ChunkListKeeper.js';
import type { ChunkNewsPublisher } from './ChunkNews.js';
import type { Inventory } from './Inventory.js';
import type { ManifestRetry } from './ManifestRetry.js';
import type { Planner } from './Planner.js';
import type { TrustState } from './TrustState.js';

/** Requests remembered for {@link PlaybackService.firstOfRequest} (the oldest forgotten first). */
const MAX_REQUESTS = 256;

/**
 * Serving what is stored (security rule 5: every chunk checked as it is read), holding back a
 * chunk that fails, and the service worker's reports of what it served.
 */
export class PlaybackService {
  /** Corrupt-chunk reports being checked, by digest: one check however many tabs forward it. */
  private readonly checking = new Map<string, Promise<boolean>>();
  /** Requests the service worker served, by track, most recent last: each tries a failed track once. */
  private readonly requests = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly trust: TrustState,
    private readonly inventory: Inventory,
    private readonly planner: Planner,
    private readonly scheduler: Scheduler,
    private readonly retry: ManifestRetry,
    private readonly clock: Clock,
    private readonly news: ChunkNewsPublisher,
    private readonly chunkLists: ChunkListKeeper,
  ) {}

  async getTrack(trackId: string): Promise<Blob> {
    const t = this.servableTrack(trackId);
    this.scheduler.playbackFirst.hold(); // its chunks are read now: background writes hold a moment
    // Composed of the stored (file-backed) chunk values, each verified: memory does not grow with the track.
    // A stored chunk that no longer verifies (a failing disk) is deleted and fetched again first,
    // as a missing one would be: the caller hears integrity-mismatch now.
    const composed = await composeVerified(this.store, { ...t.track, mimeType: t.entry.mimeType }, async (index, digest) => {
      await this.holdBack(digest);
      void this.want(t, index).catch(() => {});
    }).catch((error: unknown) => {
      const index = isRepriseError(error, 'not-cached') ? (error as RepriseError).details.chunkIndex : undefined;
      if (index === undefined) throw error;
      // A chunk the inventory had is gone from the store: missing now, fetched first, and the
      // caller hears what servableTrack() says of a track not fully stored (with its progress).
      this.inventory.have.delete(t.track.chunks[index]!);
      return this.servableTrack(trackId) as never;
    });
    // Where composed Blobs do not seek (Firefox), one part: its bytes are the verified ones.
    const blob = composedBlobsSeek() ? composed : new Blob([await composed.arrayBuffer()], { type: composed.type });
    await this.notePlay(trackId);
    return blob;
  }

  /** The catalog entry of a track that can be served now, or the error saying why not and what helps. */
  servableTrack(trackId: string): CatalogTrack {
    const { catalog } = this.trust;
    const stored = this.trust.meta.manifest;
    if (stored && !this.trust.trusted) {
      const why =
        this.trust.heldBackCause === 'manifest-invalid'
          ? 'the stored manifest no longer passes this build\'s checks'
          : `the key that signed the stored manifest ("${stored.kid}") is revoked or no longer trusted by this build`;
      const next =
        this.retry.unreachableSince !== undefined
          ? 'the new manifest could not be fetched yet; reprise asks for it again as soon as the device is back online'
          : 'it plays again once sync() accepts a new signed manifest, which needs a network connection';
      throw new RepriseError('not-cached', `track "${trackId}" is on the device but held back: ${why}; ${next}. Nothing was deleted`, { trackId, heldBack: true }, { hint: null });
    }
    if (!catalog) throw new RepriseError('not-cached', `no manifest has been accepted yet (track "${trackId}")`, { trackId }, { hint: 'call sync() first; it needs a network connection once.' });
    const t = catalog.trackOrThrow(trackId);
    assertNotRefused(t);
    if (!t.chunks) {
      void this.want(t, 0).catch(() => {}); // the caller hears "not-cached" now; the fetch goes on by itself
      throw new RepriseError(this.notStoredCode(), `track "${trackId}" is not on the device yet`, { trackId, bytesDone: 0, bytesTotal: t.entry.size }, { hint: 'it was moved to the front of the download queue; wait for its track-complete event.' });
    }
    const missing = this.inventory.missingIndices(t);
    if (missing.length === 0) return t;
    const failure = this.inventory.failureOf(t);
    void this.want(t, 0).catch(() => {});
    // DESIGN "Playback URL" table: a track that ended not-found, origin-not-allowed, integrity-mismatch… rejects with that code.
    if (failure) throw new RepriseError(failure.code, `track "${trackId}" could not be downloaded: ${failure.message}`, { trackId, failure: failure.code }, { hint: 'it was queued to be tried once more; wait for its track-complete event.' });
    const of = `track "${trackId}" has ${missing.length} of ${t.track.chunks.length} chunks still to download`;
    const state = this.scheduler.state();
    const hint =
      state.state === 'paused' && state.reason === 'offline'
        ? 'the device is offline: it downloads first when the connection is back; wait for its track-complete event.'
        : state.state === 'paused'
          ? `downloads are paused (${state.reason}); it downloads first once they resume; wait for its track-complete event.`
          : 'it was moved to the front of the download queue; wait for its track-complete event.';
    // The progress to wait on, in the terms of the `progress` event (verified, stored bytes).
    const size = t.entry.size;
    const chunkSize = t.track.chunkSize;
    const bytesMissing = missing.reduce((n, i) => n + Math.min(chunkSize, size - i * chunkSize), 0);
    throw new RepriseError(this.notStoredCode(), of, { trackId, bytesDone: size - bytesMissing, bytesTotal: size }, { hint });
  }

  /**
   * DESIGN "Playback URL" table: offline, waiting for a track not fully stored would not end by
   * itself — `network`, as the service worker's 504; a queue paused `unauthorized` — `unauthorized`
   * (401); else `not-cached` with the progress to wait on.
   */
  private notStoredCode(): 'network' | 'unauthorized' | 'not-cached' {
    const state = this.scheduler.state();
    if (state.state !== 'paused') return 'not-cached';
    return state.reason === 'offline' ? 'network' : state.reason === 'unauthorized' ? 'unauthorized' : 'not-cached';
  }

  /** A stored chunk failed its digest on a read: remove it and queue the track again. */
  async holdBack(digest: string): Promise<void> {
    this.inventory.have.delete(digest);
    this.inventory.corruptSinceSync.add(digest);
    this.onCorrupt?.(digest);
    await this.store.deleteChunks([digest]);
    this.planner.replan();
  }

  /** Set while a sync() runs: it counts chunks found corrupt by reads too. */
  onCorrupt: ((digest: string) => void) | undefined;

  /**
   * From the service worker, which reads but never writes: a play it served (download priority),
   * a chunk that failed its digest (checked again here, then held back), a track it could not serve.
   */
  async report(report: PlaybackReport): Promise<void> {
    const t = this.trust.catalog?.tracks.get(report.trackId);
    if (!t) return;
    if (report.type === 'played') return this.notePlay(report.trackId);
    if (report.type === 'wanted') {
      // Playback first: a play or a seek has the device; background downloads hold a moment.
      this.scheduler.playbackFirst.hold();
      const retry = this.firstOfRequest(report.trackId, report.request);
      if (report.chunk !== undefined || report.byte === undefined) return this.want(t, report.chunk ?? 0, retry);
      // Sent as the request arrived, before the service worker read the store: the chunk at
      // that byte is fetched first if this engine knows it is missing; one it holds is served.
      if (!Number.isSafeInteger(report.byte) || report.byte < 0) return;
      if (!t.chunks) return this.want(t, 0, retry);
      const index = Math.floor(report.byte / t.entry.chunkSize);
      if (index >= t.chunks.length) return;
      // While downloads write, the service worker's reads of the store wait behind them: the track
      // as the manifest in force lists it goes to it at once, and a chunk held at that byte is read
      // here (queued before the reader's own read) and handed over. An idle store answers the
      // reader at once: nothing is sent then (a seek pays for no message).
      const busy = this.scheduler.state().state === 'downloading';
      if (busy && this.trust.servable && !t.refused) this.news.track(t.entry.id, t.contentId, t.track);
      if (this.inventory.have.has(t.chunks[index]!)) return busy ? this.handOverStored(t.chunks[index]!) : undefined;
      return this.want(t, index, retry);
    }
    const { digest } = report;
    if (!t.chunks?.includes(digest)) return;
    let check = this.checking.get(digest);
    if (!check) {
      check = this.checkReported(digest).finally(() => this.checking.delete(digest));
      this.checking.set(digest, check);
    }
    // Held back: the reader that found it serves a play and waits for it. Its `wanted` may have come
    // while this check ran, or before it on another path, and found the track complete: the play
    // is taken here, fetched first, so a failure reaches the reader instead of its stall bound.
    if (await check) return this.want(t, t.chunks.indexOf(digest));
    this.scheduler.prioritize(this.planner.jobIdFor(t));
  }

  /**
   * True for the first report of a request the service worker serves (or a report that names no
   * request): a track that failed is tried once more for it, and not again for the same request's
   * later reports (its first one found the track downloading, or tried it: that was its try).
   */
  private firstOfRequest(trackId: string, request: string | undefined): boolean {
    if (request === undefined) return true;
    const key = `${trackId}\n${request}`;
    if (this.requests.has(key)) return false;
    this.requests.add(key);
    for (const oldest of this.requests) {
      if (this.requests.size <= MAX_REQUESTS) break;
      this.requests.delete(oldest);
    }
    return true;
  }

  /**
   * Playback needs chunks of `t` from `chunk` on: fetched first, from that chunk, past the reset
   * window, within the cap; a track that failed is tried once more (`retry`: a later report of a
   * request that had its try is told of the failure instead). If nothing can fetch it now (no
   * trusted manifest, downloads paused), waiting readers are told at once.
   */
  async want(t: CatalogTrack, chunk: number, retry = true): Promise<void> {
    if (!this.trust.mayFetch) return this.news.unavailable(t.entry.id, 'not-cached', `track "${t.entry.id}" is held back until a new manifest is accepted`);
    if (!t.chunks) {
      const [failed] = await this.chunkLists.ensure(this.trust.catalog!, [t]);
      if (failed) return this.news.unavailable(t.entry.id, 'network', `the chunk list of track "${t.entry.id}" could not be fetched`);
    }
    // A chunk the reader found corrupt may still count as stored here: report() wants it again once
    // its check held it back.
    if (this.inventory.isComplete(t)) return;
    const failure = this.inventory.trackRecords.get(t.entry.id)?.failure;
    if (failure && !retry) return this.news.unavailable(t.entry.id, failure.code, failure.message);
    if (failure) {
      const { failure: _, ...rest } = this.inventory.trackRecords.get(t.entry.id)!;
      await this.inventory.putTrack(rest);
    }
    const from = Math.max(0, Math.min(chunk, t.track.chunks.length - 1));
    const digest = t.track.chunks[from];
    this.news.awaiting(digest);
    // Verified by a running download and not written yet (in its batch, or behind the write in
    // flight): handed over now, before the plan is rebuilt or that write ends.
    const held = digest === undefined ? undefined : this.scheduler.running.heldChunk(digest);
    if (held) this.news.verified([{ digest: digest!, bytes: held }]);
    this.scheduler.playbackFirst.wake(); // its request, held until a reader waited for it, goes now
    const jobId = this.planner.jobIdFor(t);
    // Asked again for what is already being fetched first (the early report, then the one after the store was read).
    if (this.inventory.streaming.get(t.entry.id) === from && this.scheduler.isUrgent(jobId) && this.scheduler.isActive(jobId)) return;
    this.inventory.streaming.delete(t.entry.id);
    this.inventory.streaming.set(t.entry.id, from);
    // The fetch starts before anything is written: the play mark below waits for the store,
    // which may be busy committing the background resync's chunks.
    this.planner.replan({ windowMs: this.scheduler.windowRemaining() });
    this.scheduler.prioritize(this.planner.jobIdFor(t));
    const state = this.scheduler.state();
    if (state.state === 'paused') this.news.unavailable(t.entry.id, state.reason === 'offline' ? 'network' : state.reason, `downloads are paused (${state.reason})`);
    else if (this.scheduler.isRefused(this.planner.jobIdFor(t))) this.news.unavailable(t.entry.id, 'unauthorized', `track "${t.entry.id}" was refused by its origin (401/403); it waits until other tracks show whether the refusal is the session's or the track's`);
    await this.notePlay(t.entry.id); // asked for by playback: it is being played
    this.planner.replan(); // the play mark moves its playlists up the queue
  }

  /**
   * A stored chunk at the first byte of a request: read now and handed over, so that the reader's
   * own read — created later, queued behind the resync's writes — does not hold up the answer.
   * The reader checks it against the digest, as every chunk it serves.
   */
  private async handOverStored(digest: string): Promise<void> {
    this.news.awaiting(digest);
    const [bytes] = await this.store.getChunks([digest]);
    if (bytes) this.news.verified([{ digest, bytes }]);
  }

  /**
   * The report crossed a message boundary: nothing is deleted on its word alone. True when the
   * chunk failed its digest here too and was held back.
   */
  private async checkReported(digest: string): Promise<boolean> {
    if (!this.inventory.have.has(digest)) return false;
    const [bytes] = await this.store.getChunks([digest]);
    if (!bytes || (await sha256Base64Url(bytes)) === digest) return false;
    await this.holdBack(digest);
    return true;
  }

  /** The play mark only orders eviction: a full device does not stop playback for it. */
  private async notePlay(trackId: string): Promise<void> {
    try {
      await this.inventory.notePlay(trackId, this.trust.catalog, this.clock.now());
    } catch (error) {
      if (!isRepriseError(error, 'quota-exceeded')) throw error;
    }
  }
}
