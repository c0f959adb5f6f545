import { RepriseError } from '../errors/RepriseError.js';
import { idSchema } from '../manifest/schema.js';
import { allowedOriginSet } from '../manifest/trackOrigins.js';
import { importTrustedKeys } from '../manifest/trustedKeys.js';
import { RateMeter } from '../scheduler/RateMeter.js';
import { Scheduler } from '../scheduler/Scheduler.js';
import { openStore } from '../store/openStore.js';
import { SCHEMA_VERSION } from '../store/schema.js';
import { Store, chunkValueKindFor } from '../store/Store.js';
import { AuditRunner } from './AuditRunner.js';
import { readStatus } from './readStatus.js';
import type { LeadingEngine, PlaybackReport } from './CacheEngine.js';
import { DownloadRecorder } from './DownloadRecorder.js';
import { ChunkNewsPublisher } from './ChunkNews.js';
import { ReportFilter } from '../playback/ReportFilter.js';
import { ChunkListKeeper } from './ChunkListKeeper.js';
import { Emitter } from './Emitter.js';
import type { EngineParts } from './EngineParts.js';
import { Inventory } from './Inventory.js';
import { ManifestRetry } from './ManifestRetry.js';
import { awaitingChunkList } from './offlineSelection.js';
import { OperationQueue } from './OperationQueue.js';
import { type ResolvedOptions, type ThrottleOptions, parseOrThrow, throttleSchema } from './options.js';
import { probeTarget } from './probeTarget.js';
import { PlaybackService } from './PlaybackService.js';
import { Planner } from './Planner.js';
import { watchConnectivity } from './platform.js';
import { ProgressReporter } from './ProgressReporter.js';
import { runSync } from './runSync.js';
import { runVerify } from './runVerify.js';
import { StateReporter } from './StateReporter.js';
import { StorageBudget } from './StorageBudget.js';
import { TrustState } from './TrustState.js';
import type { AuditReport, CacheEvents, CacheStatus, SyncReport } from './types.js';
import { withStableCode } from './withStableCode.js';

/**
 * The engine: a facade over one-concept modules. State-changing operations run one at a time
 * through one queue; reads answer at once. Every error leaving it carries a stable code.
 */
export class Engine implements LeadingEngine {
  private readonly events = new Emitter<CacheEvents>();
  private readonly operations = new OperationQueue();
  private readonly lifetime = new AbortController();
  private readonly parts: EngineParts;
  private syncing: Promise<SyncReport> | undefined;
  private throttleApp: { maxConcurrent: number; bytesPerSecond: number };
  private closedBy: RepriseError | undefined;
  private readonly detach: (() => void)[] = [];
  private readonly reports: ReportFilter;

  private constructor(opts: ResolvedOptions, store: Store, trust: TrustState, inventory: Inventory) {
    this.throttleApp = { ...opts.throttle };
    this.reports = new ReportFilter(() => opts.clock.now());
    const meter = new RateMeter();
    // What a download wrote after the content was freed (released, replaced): freed in the
    // operation queue, so that it sees the choices of every operation before it.
    const freeUnneeded = () => this.mutate(() => budget.collectGarbage()).catch(() => {});
    const progress = new ProgressReporter(opts.clock, meter, this.events, () => ({ catalog: trust.catalog, have: inventory.have }), () => scheduler.throttleSettings.bytesPerSecond);
    const scheduler: Scheduler = new Scheduler(
      {
        fetch: opts.fetch,
        clock: opts.clock,
        random: opts.random,
        credentials: opts.credentials,
        stallMs: opts.stallTimeoutMs,
        backoff: opts.backoff,
        chunkSize: 256 * 1024,
        allowedOrigins: trust.allowed,
        authorize: opts.authorize,
        commit: (trackId, chunks) => recorder.commit(trackId, chunks),
        awaited: (digest) => news.isAwaited(digest),
        prepareWrite: (bytes) => store.prepareValue(bytes),
        verified: (chunk) => news.verified([chunk]),
        onComplete: (job, downloaded) => void recorder.complete(job, downloaded).catch(() => {}),
        onFailed: (job, error) => void recorder.failed(job, error).catch(() => {}),
        onRefused: (job, error) => recorder.refused(job, error),
        onLeftPlan: () => freeUnneeded(),
        isReplaced: (job) => recorder.isReplaced(job),
        probeTarget: (origin, aside) => probeTarget(trust.catalog, inventory, origin, aside),
        onChange: () => state?.emit(),
      },
      opts.throttle,
    );
    const state: StateReporter = new StateReporter(this.events, () => scheduler.state(), (s) => {
      if (s.state === 'paused' && s.reason === 'quota-exceeded') budget.quotaPaused();
      // Readers waiting for a playing track's chunks learn at once that nothing will fetch them now.
      if (s.state === 'paused') for (const id of inventory.streaming.keys()) news.unavailable(id, s.reason === 'offline' ? 'network' : s.reason, `downloads are paused (${s.reason})`);
    });
    const audits = new AuditRunner(store, trust, inventory, state, opts.clock, this.lifetime.signal, () => scheduler.poke());
    const planner = new Planner(trust, inventory, audits, scheduler, progress, () => state.closed);
    const news = new ChunkNewsPublisher(opts.dbName, (report) => void this.playbackReport(report).catch(() => {}));
    const recorder = new DownloadRecorder(store, trust, inventory, planner, progress, this.events, opts.clock, news);
    const budget: StorageBudget = new StorageBudget(opts, store, trust, inventory, scheduler, () => {
      const s = state.current();
      return s.state === 'paused' && s.reason === 'quota-exceeded';
    });
    recorder.onQuota = () => void budget.quotaHit().catch(() => {});
    const retry = new ManifestRetry(opts.clock, opts.random, () => void this.sync().catch(() => {}));
    const chunkLists = new ChunkListKeeper(opts, store, trust.allowed);
    // The service worker parses the manifest in force when it is saved, not on the next play.
    trust.onServedManifestChanged = () => news.manifest();
    const playback = new PlaybackService(store, trust, inventory, planner, scheduler, retry, opts.clock, news, chunkLists);
    this.parts = { opts, store, events: this.events, trust, inventory, audits, planner, recorder, budget, playback, state, scheduler, retry, chunkLists, applyThrottle: () => this.applyThrottle() };
    this.detach.push(() => progress.close(), () => retry.stop(), () => news.close());
  }

  static async open(opts: ResolvedOptions): Promise<Engine> {
    const keyring = await importTrustedKeys(opts.trustedKeys);
    const { db, previousVersion } = await openStore(opts.indexedDB, opts.dbName);
    const store = new Store(db, chunkValueKindFor(opts.indexedDB));
    try {
      const [meta, have, playlists, tracks] = await Promise.all([store.readMeta(), store.chunkKeys(), store.playlists(), store.tracks()]);
      if (previousVersion > 0 && previousVersion < SCHEMA_VERSION) {
        // Reported by the next sync() as `schema-upgrade`, even if this engine closes before it.
        meta.migratedFrom = meta.migratedFrom ?? previousVersion;
        await store.writeMeta(meta);
      }
      const trust = new TrustState(opts, store, keyring, meta, allowedOriginSet(opts.manifestUrl, opts.allowedOrigins));
      await trust.loadStored();
      const engine = new Engine(opts, store, trust, new Inventory(store, have, playlists, tracks));
      if (trust.catalog) await engine.parts.chunkLists.attachStored(trust.catalog);
      engine.applyThrottle();
      const { scheduler } = engine.parts;
      engine.detach.push(
        watchConnectivity(
          (r) => scheduler.pause(r),
          (r) => {
            scheduler.resume(r);
            // Back online: tracks that gave up on network errors meanwhile are tried again.
            if (r === 'offline') void engine.retryGaveUp();
          },
        ),
      );
      store.onClosed = (reason) => void engine.closeBecause(reason);
      return engine;
    } catch (error) {
      store.close();
      throw withStableCode(error);
    }
  }

  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /** Concurrent calls share one run: two syncs racing would classify the same reset twice. */
  sync(): Promise<SyncReport> {
    const retry = this.parts.retry;
    this.syncing ??= this.mutate(() => runSync(this.parts))
      .then(
        (report) => {
          if (report.manifest === 'unreachable') retry.failed();
          else retry.reached();
          return report;
        },
        (error: RepriseError) => {
          if (error.details?.manifestUnreachable === true) retry.failed();
          else if (error.name !== 'aborted') retry.reached();
          throw error;
        },
      )
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  verify(): Promise<AuditReport> {
    return this.mutate(() => runVerify(this.parts));
  }

  setOffline(playlistId: string, offline: boolean, options: { pinned?: boolean } = {}): Promise<void> {
    return this.mutate(async () => {
      parseOrThrow(idSchema, playlistId, 'playlistId');
      if (typeof offline !== 'boolean') throw new RepriseError('invalid-argument', 'offline: must be true or false', { path: 'offline' });
      const { trust, inventory, budget, planner, scheduler, opts } = this.parts;
      if (trust.catalog && !trust.catalog.playlists.has(playlistId)) {
        throw new RepriseError('invalid-argument', `playlistId: the manifest in force lists no playlist "${playlistId}"`, { path: 'playlistId', playlistId });
      }
      const record = { ...(inventory.choices.get(playlistId) ?? { id: playlistId }), offline, evicted: false };
      if (offline) record.offlineAt = opts.clock.now();
      if (options.pinned !== undefined) record.pinned = options.pinned;
      inventory.removed.delete(playlistId);
      // Let go on a full device: the account's offline mark would bring it back without the record.
      if (offline) await inventory.putChoice(record);
      else await inventory.putLettingGo(record, () => budget.release(), trust.catalog?.playlists.get(playlistId)?.offline === true);
      // Format 2: the playlist's chunk lists now, so that its downloads are planned without a sync.
      if (offline && trust.servable) await this.parts.chunkLists.ensure(trust.catalog!, awaitingChunkList(inventory.selection(trust.catalog)));
      if (!offline) await budget.release();
      else {
        void budget.askPersist().catch(() => {});
        await budget.enforce();
      }
      planner.replan({ windowMs: scheduler.windowRemaining() });
    });
  }

  remove(playlistId: string): Promise<void> {
    return this.mutate(async () => {
      parseOrThrow(idSchema, playlistId, 'playlistId');
      const { inventory, budget, planner } = this.parts;
      const record = inventory.choices.get(playlistId);
      if (record) {
        const { offline: _o, pinned: _p, ...rest } = record;
        await inventory.putLettingGo(rest, async () => {
          inventory.removed.add(playlistId);
          await budget.collectGarbage();
        });
      }
      inventory.removed.add(playlistId);
      await budget.release();
      planner.replan();
    });
  }

  clear(): Promise<void> {
    return this.mutate(async () => {
      const { scheduler, store, inventory, budget, planner, trust } = this.parts;
      scheduler.setPlan([]);
      await store.clearContent();
      await trust.forgetVersions(); // DESIGN "Manifest format 2": a shared device can switch accounts
      inventory.forgetContent();
      await budget.refreshSpace();
      scheduler.resume('quota-exceeded');
      planner.replan();
    });
  }

  getTrack(trackId: string): Promise<Blob> {
    return this.read(() => this.parts.playback.getTrack(parseOrThrow(idSchema, trackId, 'trackId')));
  }

  playbackReport(report: PlaybackReport): Promise<void> {
    // The service worker's channel and the pages deliver each report: act on it once.
    if (!this.reports.first(report)) return Promise.resolve();
    return this.read(() => this.parts.playback.report(report));
  }

  prioritize(trackId: string): Promise<boolean> {
    return this.read(async () => {
      parseOrThrow(idSchema, trackId, 'trackId');
      const t = this.parts.trust.catalog?.tracks.get(trackId);
      return t ? this.parts.scheduler.prioritize(this.parts.planner.jobIdFor(t)) : false;
    });
  }

  pause(): Promise<void> {
    return this.read(async () => this.parts.scheduler.pause('user'));
  }

  /**
   * Resumes the caller's pause, a pause for a refused authorization (the app signed in again) and
   * one for a full quota (the app freed space); tracks that gave up on network errors are tried
   * again (queued as `resume()` resolves; `idle()` waits for them).
   */
  resume(): Promise<void> {
    return this.read(async () => {
      for (const reason of ['unauthorized', 'quota-exceeded', 'user'] as const) this.parts.scheduler.resume(reason);
      void this.retryGaveUp();
    });
  }

  /**
   * Tracks that ended `network` because their retries gave up (a dead zone longer than the
   * backoff; not a status that is no transient failure, such as 400) get another chance, in the
   * operation queue: on `resume()` and when the browser is back online.
   */
  private retryGaveUp(): Promise<void> {
    const { inventory, planner, scheduler } = this.parts;
    return this.mutate(async () => {
      if (await inventory.forgetFailures((f) => f.code === 'network' && f.gaveUp === true)) planner.replan({ windowMs: scheduler.windowRemaining() });
    }).catch(() => {}); // bookkeeping: a store that fails here fails the next operation too, with its code
  }

  setThrottle(throttle: ThrottleOptions): Promise<void> {
    return this.read(async () => {
      const t = parseOrThrow(throttleSchema, throttle, 'throttle');
      this.throttleApp = { maxConcurrent: t.maxConcurrent ?? this.throttleApp.maxConcurrent, bytesPerSecond: t.bytesPerSecond ?? this.throttleApp.bytesPerSecond };
      this.applyThrottle();
    });
  }

  status(): Promise<CacheStatus> {
    return this.read(() => readStatus(this.parts));
  }

  /** Resolves when the operations queued so far are done and the download queue has nothing it can do on its own. */
  async idle(): Promise<void> {
    await this.operations.drained();
    return this.parts.scheduler.idle();
  }

  async close(): Promise<void> {
    await this.closeBecause(new RepriseError('aborted', 'this cache is closed; open a new one'));
  }

  /** Stops everything; a running operation ends at its next step, then the store closes. */
  private async closeBecause(reason: RepriseError): Promise<void> {
    const { state, scheduler, budget, events, store } = this.parts;
    if (state.closed) return;
    this.closedBy = reason;
    state.closed = true;
    this.lifetime.abort(reason);
    scheduler.close();
    budget.close();
    for (const d of this.detach) d();
    state.emit();
    events.clear();
    await this.operations.drained();
    store.close();
  }

  private applyThrottle(): void {
    const hints = this.parts.trust.catalog?.manifest.resync;
    this.parts.scheduler.setThrottle({
      maxConcurrent: Math.min(this.throttleApp.maxConcurrent, hints?.maxConcurrent ?? Infinity),
      bytesPerSecond: Math.min(this.throttleApp.bytesPerSecond, hints?.maxBytesPerSecond ?? Infinity),
    });
  }

  /** A state-changing operation: queued behind the others, rejected once closed. */
  private mutate<T>(op: () => Promise<T>): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return this.operations
      .run(() => (this.closedBy ? Promise.reject(this.closedBy) : op()))
      .catch((error: unknown) => {
        const coded = withStableCode(error);
        // A record that does not fit pauses the queue as a chunk that does not fit would.
        if (coded.name === 'quota-exceeded') {
          void this.parts.budget.quotaHit().catch(() => {});
          this.parts.scheduler.pause('quota-exceeded');
        }
        throw coded;
      });
  }

  /** A read: answers at once, never behind an operation. */
  private async read<T>(op: () => Promise<T>): Promise<T> {
    if (this.closedBy) throw this.closedBy;
    try {
      return await op();
    } catch (error) {
      throw withStableCode(error);
    }
  }
}
