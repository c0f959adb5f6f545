import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import type { VerifiedChunk } from '../downloader/ChunkSink.js';
import { Catalog, type CatalogTrack, assertNotRefused, chunkLength } from '../manifest/Catalog.js';
import { idSchema } from '../manifest/schema.js';
import { allowedOriginSet } from '../manifest/trackOrigins.js';
import { type KeyRing, importTrustedKeys } from '../manifest/trustedKeys.js';
import { verifyManifest } from '../manifest/verifyManifest.js';
import { type AuditResult, runAudit } from '../audit/runAudit.js';
import { FULL_AUDIT_KINDS, WINDOWED_KINDS, classifyReset } from '../reset/classifyReset.js';
import { resetWindowDelayMs } from '../scheduler/resetWindow.js';
import { readVerified } from '../playback/readVerified.js';
import { sha256Base64Url } from '../util/sha256.js';
import { RateMeter } from '../scheduler/RateMeter.js';
import { Scheduler, type SchedulerJob } from '../scheduler/Scheduler.js';
import { openStore } from '../store/openStore.js';
import { type MetaRecord, type PlaylistRecord, SCHEMA_VERSION, type TrackRecord } from '../store/schema.js';
import { Store } from '../store/Store.js';
import { buildStatus, trackBytesDone } from './buildStatus.js';
import { Emitter } from './Emitter.js';
import { type SelectionInput, effectiveOffline, lastUsed, neededTracks, offlinePlaylists } from './offlineSelection.js';
import { requestPersistence, storageEstimate, watchConnectivity } from './platform.js';
import { fetchManifest } from './fetchManifest.js';
import { type ResolvedOptions, type ThrottleOptions, parseOrThrow, throttleSchema } from './options.js';
import type { AuditReport, CacheEvents, CacheStatus, EngineState, SyncReport } from './types.js';
import type { LeadingEngine, PlaybackReport } from './CacheEngine.js';

/** DESIGN.md: `progress` at most about ten a second. */
const PROGRESS_INTERVAL_MS = 100;
/** How often a quota pause looks at `navigator.storage.estimate()` again. */
const QUOTA_POLL_MS = 30_000;

export class Engine implements LeadingEngine {
  private readonly events = new Emitter<CacheEvents>();
  private readonly scheduler: Scheduler;
  private readonly allowed: Set<string>;
  private catalog: Catalog | undefined;
  /** False when the stored manifest's key is revoked or no longer trusted: nothing is served. */
  private catalogTrusted = false;
  private readonly have: Set<string>;
  private readonly choices: Map<string, PlaylistRecord>;
  private readonly trackRecords: Map<string, TrackRecord>;
  /** Playlists remove()d since the last sync: the service's record applies again only then. */
  private readonly removed = new Set<string>();
  private syncing: Promise<SyncReport> | undefined;
  private busy: EngineState | undefined;
  private lastState = '';
  private closed = false;
  private throttleApp: { maxConcurrent: number; bytesPerSecond: number };
  private plannedDigests = new Map<string, number>();
  private byContent = new Map<string, CatalogTrack[]>();
  private overallDone = 0;
  private progressAt = 0;
  private progressTimer: AbortController | undefined;
  private pendingProgress: string | undefined;
  private persisted: boolean | null = null;
  private persistAsked = false;
  private readonly detach: (() => void)[] = [];
  private readonly meter = new RateMeter();
  /** Stored chunks a running audit has not reached yet. */
  private auditPending = new Set<string>();
  /** Chunks a read found corrupt since the last sync (reported as partial-loss). */
  private readonly corruptSinceSync = new Set<string>();
  private lastAudit: AuditResult | undefined;
  /** Chunks that failed an audit against the stored manifest: kept in the store, never counted as present. */
  private readonly heldBackChunks = new Set<string>();
  /** Chunks committed while the current sync() runs: its report counts them as fetched, not kept. */
  private syncFetched = new Set<string>();
  /** Committed batches so far (to tell whether a store listing raced with a write). */
  private commits = 0;
  /** Chunks found corrupt (by the audit or by reads) while the current sync() runs. */
  private corruptFound = new Set<string>();
  private quotaWatch: AbortController | undefined;
  /** Aborted by close(): stops an audit between batches. */
  private readonly lifetime = new AbortController();

  private constructor(
    private readonly opts: ResolvedOptions,
    private readonly store: Store,
    private readonly keyring: KeyRing,
    private meta: MetaRecord,
    have: string[],
    playlists: PlaylistRecord[],
    tracks: TrackRecord[],
  ) {
    this.allowed = allowedOriginSet(opts.manifestUrl, opts.allowedOrigins);
    this.have = new Set(have);
    this.choices = new Map(playlists.map((p) => [p.id, p]));
    this.trackRecords = new Map(tracks.map((t) => [t.id, t]));
    this.throttleApp = { ...opts.throttle };
    this.scheduler = new Scheduler(
      {
        fetch: opts.fetch,
        clock: opts.clock,
        random: opts.random,
        credentials: opts.credentials,
        stallMs: opts.stallTimeoutMs,
        backoff: opts.backoff,
        chunkSize: 256 * 1024,
        commit: (trackId, chunks) => this.commit(trackId, chunks),
        allowedOrigins: this.allowed,
        onComplete: (job, downloaded) => void this.onComplete(job.trackId, downloaded),
        onFailed: (job, error) => void this.onFailed(job.trackId, error),
        onChange: () => this.emitState(),
        onBody: (bytes) => this.meter.add(opts.clock.now(), bytes),
      },
      opts.throttle,
    );
  }

  static async open(opts: ResolvedOptions): Promise<Engine> {
    const keyring = await importTrustedKeys(opts.trustedKeys);
    const { db, previousVersion } = await openStore(opts.indexedDB, opts.dbName);
    const store = new Store(db);
    const [meta, have, playlists, tracks] = await Promise.all([store.readMeta(), store.chunkKeys(), store.playlists(), store.tracks()]);
    if (previousVersion > 0 && previousVersion < SCHEMA_VERSION) {
      // Reported by the next sync() as `schema-upgrade`, even if this engine closes before it.
      meta.migratedFrom = meta.migratedFrom ?? previousVersion;
      await store.writeMeta(meta);
    }
    const engine = new Engine(opts, store, keyring, meta, have, playlists, tracks);
    await engine.loadStoredManifest();
    engine.detach.push(watchConnectivity((r) => engine.scheduler.pause(r), (r) => engine.scheduler.resume(r)));
    return engine;
  }

  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  // ── sync ──────────────────────────────────────────────────────────────────────────────

  sync(): Promise<SyncReport> {
    if (this.closed) return Promise.reject(this.closedError());
    // Concurrent calls share one run: two syncs racing would classify the same reset twice.
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = undefined;
      this.busy = undefined;
      this.emitState();
    });
    return this.syncing;
  }

  /**
   * DESIGN.md "Reset detection": fetch and verify the manifest (a refusal changes nothing),
   * classify, accept, free what no offline playlist needs, audit what the kind requires in
   * priority order while downloads of audited tracks already start, and report.
   */
  private async runSync(): Promise<SyncReport> {
    const started = this.opts.clock.now();
    this.setBusy({ state: 'syncing' });
    this.syncFetched = new Set();
    this.corruptFound = new Set();
    // "none only checks that the chunk records are present": the store's, not this engine's
    // memory of them (a browser or another program may have removed some).
    const commitsBefore = this.commits;
    const stored = new Set(await this.store.chunkKeys());
    if (this.commits === commitsBefore) for (const d of this.have) if (!stored.has(d)) this.have.delete(d);
    for (const d of stored) if (!this.heldBackChunks.has(d)) this.have.add(d);
    const storedManifest = this.meta.manifest;
    const fromEpoch = storedManifest?.epoch ?? 0;

    let jws: string | undefined;
    try {
      jws = await fetchManifest(this.opts);
    } catch (error) {
      if (!isRepriseError(error, 'network')) throw error;
      if (!this.catalog || !this.catalogTrusted) {
        if (storedManifest && !this.catalogTrusted) {
          throw new RepriseError(
            'network',
            `the manifest could not be fetched, and the stored one (key "${storedManifest.kid}") is no longer trusted by this app: ${this.heldBackTracks()} tracks are held back until a new manifest verifies them`,
            { heldBack: this.heldBackTracks() },
            { cause: error },
          );
        }
        throw error;
      }
    }

    let accepted: Catalog | undefined;
    if (jws !== undefined) {
      const verified = await verifyManifest(jws, {
        trustedKeys: this.keyring,
        revokedKeyIds: this.revokedKeyIds(),
        minEpoch: Math.max(this.meta.highestEpoch, this.opts.appSecurityEpoch),
        now: this.opts.clock.now(),
        limits: this.opts.limits,
      });
      accepted = await Catalog.build(verified, this.opts.manifestUrl, this.allowed);
    }

    // Classify against the manifest that will be in force.
    const inForce = accepted ?? this.catalog!;
    const distrusted = new Set([...this.revokedKeyIds(), ...(accepted?.manifest.revokedKeyIds ?? [])]);
    const storedKeyDistrusted = storedManifest !== undefined && (distrusted.has(storedManifest.kid) || !this.keyring.has(storedManifest.kid));
    if (accepted) this.removed.clear();
    const needed = this.neededTracks(inForce);
    const neededDigests = new Set(needed.flatMap((t) => t.track.chunks));
    let presentChunks = 0;
    for (const d of neededDigests) if (this.have.has(d)) presentChunks++;
    const lost = this.lostChunks(needed);
    const { kind, reasons } = classifyReset({
      stored: storedManifest ? { kid: storedManifest.kid, epoch: storedManifest.epoch } : undefined,
      storedKeyDistrusted,
      newEpoch: accepted?.epoch,
      appSecurityEpoch: this.opts.appSecurityEpoch,
      neededChunks: neededDigests.size,
      presentChunks,
      lostChunks: lost.size,
      migratedFrom: this.meta.migratedFrom,
    });

    if (accepted) {
      // Accepted: from here on the new manifest is in force.
      this.meta = {
        ...this.meta,
        manifest: { jws: accepted.verified.jws, kid: accepted.kid, epoch: accepted.epoch, url: this.opts.manifestUrl, acceptedAt: this.opts.clock.now() },
        highestEpoch: Math.max(this.meta.highestEpoch, accepted.epoch),
        revokedKeyIds: [...new Set([...this.meta.revokedKeyIds, ...(accepted.manifest.revokedKeyIds ?? [])])],
        manifestTrusted: true,
      };
      this.catalog = accepted;
      this.catalogTrusted = true;
      this.applyThrottle();
      await this.forgetFailures();
    }
    if (this.meta.migratedFrom !== undefined) delete this.meta.migratedFrom;

    // The audit this kind calls for: a new full one, or the rest of an interrupted one.
    if (FULL_AUDIT_KINDS.includes(kind) || (reasons.some((r) => FULL_AUDIT_KINDS.includes(r)) && accepted)) {
      this.meta.audits = (this.meta.audits ?? 0) + 1;
      this.meta.audit = { id: `${inForce.epoch}:${inForce.kid}:${this.meta.audits}`, against: accepted ? 'accepted' : 'stored', complete: false };
      await this.store.writeMeta(this.meta);
      await this.store.clearAudits();
    } else {
      await this.store.writeMeta(this.meta);
    }
    // Unneeded content goes only once a manifest was accepted (storage invariant 3).
    if (accepted) {
      await this.enforceBudget();
      await this.collectGarbage();
    }

    const windowMs = WINDOWED_KINDS.includes(kind) ? resetWindowDelayMs(inForce.manifest.resync?.windowSeconds, this.opts.random) : 0;
    const audit = this.meta.audit;
    if (audit && !audit.complete) {
      await this.audit(audit.id, windowMs);
      this.meta = { ...this.meta, audit: { ...audit, complete: true } };
      await this.store.writeMeta(this.meta);
    } else if (kind === 'partial-loss' || reasons.includes('partial-loss')) {
      // Only the tracks that lost chunks are re-hashed (DESIGN.md: "the stored chunks it concerns").
      const concerned = needed.filter((t) => t.track.chunks.some((d) => lost.has(d)));
      await this.audit(`partial:${this.opts.clock.now()}`, windowMs, concerned, false);
    } else {
      this.replan({ windowMs });
    }
    if (this.neededTracks().length > 0) void this.askPersist();
    await this.refreshSpace();

    const report = this.report(kind, reasons, fromEpoch, accepted ? 'accepted' : 'unreachable', started, this.corruptFound.size, lost.size);
    this.syncFetched = new Set();
    if (kind !== 'none') this.events.emit('reset', report);
    return report;
  }

  /**
   * Chunks of tracks that were complete (with the content they still have) and are gone now,
   * or that a read found corrupt since. `none` only checks presence (DESIGN.md).
   */
  private lostChunks(needed: CatalogTrack[]): Set<string> {
    const lost = new Set<string>(this.corruptSinceSync);
    for (const t of needed) {
      if (this.trackRecords.get(t.track.id)?.completedContentId !== t.contentId) continue;
      for (const d of t.track.chunks) if (!this.have.has(d)) lost.add(d);
    }
    return lost;
  }

  /**
   * Re-hashes the stored chunks of `tracks` (default: every track needed offline) in download
   * priority order. Downloads wait for a track until its own chunks are audited, then start
   * while the audit goes on with the next tracks: the first playlist plays before the last
   * one is checked.
   */
  private async audit(id: string, windowMs: number, tracks = this.neededTracks(), resumable = true): Promise<string[]> {
    const order: string[] = [];
    const seen = new Set<string>();
    for (const t of tracks) for (const d of t.track.chunks) if (this.have.has(d) && !seen.has(d)) (seen.add(d), order.push(d));
    this.auditPending = new Set(order);
    this.replan({ windowMs });
    const already = resumable ? await this.store.auditedBy(id) : new Set<string>();
    for (const d of already) this.auditPending.delete(d);
    this.setBusy({ state: 'auditing', progress: { chunksDone: already.size, chunksTotal: order.length } });
    let lastEmit = 0;
    const deleteCorrupt = this.meta.audit?.id !== id || this.meta.audit.against === 'accepted';
    const result = await runAudit({
      store: this.store,
      id,
      digests: order,
      alreadyVerified: already,
      signal: this.lifetime.signal,
      deleteCorrupt,
      onBatch: ({ verified, corrupt, missing }, done, total) => {
        for (const d of [...verified, ...corrupt, ...missing]) this.auditPending.delete(d);
        for (const d of [...corrupt, ...missing]) this.have.delete(d);
        for (const d of corrupt) {
          this.corruptFound.add(d);
          if (deleteCorrupt) this.heldBackChunks.delete(d);
          else this.heldBackChunks.add(d);
        }
        this.scheduler.poke();
        const now = this.opts.clock.now();
        if (now - lastEmit >= PROGRESS_INTERVAL_MS || done === total) {
          lastEmit = now;
          this.setBusy({ state: 'auditing', progress: { chunksDone: done, chunksTotal: total } });
        }
      },
    });
    this.auditPending.clear();
    this.corruptSinceSync.clear();
    this.lastAudit = result;
    this.replan({ windowMs: this.scheduler.windowRemaining() });
    return result.corrupt;
  }

  private report(
    kind: SyncReport['kind'],
    reasons: SyncReport['kind'][],
    fromEpoch: number,
    manifest: SyncReport['manifest'],
    started: number,
    corruptChunks = 0,
    missingChunks = 0,
  ): SyncReport {
    const { kept, toFetch } = this.contentTotals();
    return {
      kind,
      reasons,
      fromEpoch,
      toEpoch: this.catalog?.epoch ?? fromEpoch,
      manifest,
      kept,
      toFetch,
      corruptChunks,
      missingChunks,
      heldBack: { tracks: this.heldBackTracks() },
      refused: this.catalog?.refused() ?? [],
      durationMs: this.opts.clock.now() - started,
    };
  }

  /** Offline content present (kept) and missing (to fetch), each distinct chunk counted once. */
  private contentTotals() {
    const kept = { tracks: 0, bytes: 0 };
    const toFetch = { tracks: 0, bytes: 0 };
    const seenKept = new Set<string>();
    const seenMissing = new Set<string>();
    for (const t of this.neededTracks()) {
      let complete = true;
      t.track.chunks.forEach((digest, i) => {
        const len = chunkLength(t.track, i);
        if (this.have.has(digest) && !this.syncFetched.has(digest)) {
          if (!seenKept.has(digest)) (seenKept.add(digest), (kept.bytes += len));
        } else {
          complete = false;
          if (!seenMissing.has(digest)) (seenMissing.add(digest), (toFetch.bytes += len));
        }
      });
      if (complete) kept.tracks++;
      else if (!this.failureOf(t)) toFetch.tracks++;
    }
    return { kept, toFetch };
  }

  /** Tracks that were complete on the device and cannot be played now (untrusted manifest, or chunks lost). */
  private heldBackTracks(): number {
    let n = 0;
    for (const record of this.trackRecords.values()) {
      if (!record.completedContentId) continue;
      const t = this.catalog?.tracks.get(record.id);
      if (!this.catalogTrusted || !t) {
        if (!this.catalogTrusted) n++;
        continue;
      }
      if (t.contentId === record.completedContentId && t.track.chunks.some((d) => !this.have.has(d))) n++;
    }
    return n;
  }

  /** Re-verifies the stored manifest's signature (the store is not trusted more than the network). */
  private async loadStoredManifest(): Promise<void> {
    const stored = this.meta.manifest;
    if (!stored) return;
    try {
      const verified = await verifyManifest(stored.jws, {
        trustedKeys: this.keyring,
        revokedKeyIds: this.revokedKeyIds(),
        minEpoch: 0, // it was accepted at its time; rollback and expiry apply to new manifests
        now: 0,
        limits: this.opts.limits,
      });
      this.catalog = await Catalog.build(verified, stored.url, this.allowed);
      this.catalogTrusted = true;
      this.applyThrottle();
    } catch {
      // Revoked by this build, or its key is gone from trustedKeys: hold everything back.
      this.catalog = undefined;
      this.catalogTrusted = false;
    }
    if (this.meta.manifestTrusted !== this.catalogTrusted) {
      this.meta = { ...this.meta, manifestTrusted: this.catalogTrusted };
      await this.store.writeMeta(this.meta);
    }
  }

  private revokedKeyIds(): Set<string> {
    return new Set([...this.opts.revokedKeyIds, ...this.meta.revokedKeyIds]);
  }

  /** App settings, lowered (never raised) by the manifest's `resync` hints. */
  private applyThrottle(): void {
    const hints = this.catalog?.manifest.resync;
    this.scheduler.setThrottle({
      maxConcurrent: Math.min(this.throttleApp.maxConcurrent, hints?.maxConcurrent ?? Infinity),
      bytesPerSecond: Math.min(this.throttleApp.bytesPerSecond, hints?.maxBytesPerSecond ?? Infinity),
    });
  }

  // ── planning ──────────────────────────────────────────────────────────────────────────

  private selection(catalog = this.catalog): SelectionInput {
    return { catalog, choices: this.choices, removed: this.removed };
  }

  private effectiveOffline(playlistId: string) {
    return effectiveOffline(playlistId, this.selection());
  }

  private offlinePlaylists() {
    return offlinePlaylists(this.selection());
  }

  private neededTracks(catalog = this.catalog): CatalogTrack[] {
    return neededTracks(this.selection(catalog));
  }

  /**
   * The `maxBytes` budget: while the offline playlists need more, release the least recently
   * used one that is not pinned. Content another offline playlist needs stays (collectGarbage
   * frees only what nothing references).
   */
  private async enforceBudget(): Promise<void> {
    if (!Number.isFinite(this.opts.maxBytes) || !this.catalog) return;
    const needBytes = () => {
      let n = 0;
      const seen = new Set<string>();
      for (const t of this.neededTracks()) t.track.chunks.forEach((d, i) => !seen.has(d) && (seen.add(d), (n += chunkLength(t.track, i))));
      return n;
    };
    let evicted = false;
    while (needBytes() > this.opts.maxBytes) {
      const candidates = this.offlinePlaylists().filter((p) => !this.choices.get(p.id)?.pinned);
      if (candidates.length <= 1) break; // never evict the last playlist to make room for itself
      const victim = candidates.sort((a, b) => lastUsed(a.id, this.choices) - lastUsed(b.id, this.choices))[0]!;
      const record: PlaylistRecord = { ...(this.choices.get(victim.id) ?? { id: victim.id }), offline: false, evicted: true };
      this.choices.set(victim.id, record);
      await this.store.putPlaylist(record);
      evicted = true;
    }
    if (evicted) await this.collectGarbage();
  }

  private neededDigests(): Set<string> {
    const set = new Set<string>();
    for (const t of this.neededTracks()) for (const d of t.track.chunks) set.add(d);
    return set;
  }

  private missingIndices(t: CatalogTrack): number[] {
    const out: number[] = [];
    t.track.chunks.forEach((d, i) => {
      if (!this.have.has(d)) out.push(i);
    });
    return out;
  }

  private job(t: CatalogTrack): SchedulerJob {
    return {
      trackId: t.track.id,
      contentId: t.contentId,
      url: t.url!,
      origin: t.origin!,
      request: () => {
        const missing = this.missingIndices(t);
        if (missing.length === 0) return undefined;
        const { id, mimeType, size, chunkSize, chunks } = t.track;
        return { trackId: id, url: t.url!, mimeType, size, chunkSize, digests: chunks, missing };
      },
      remainingBytes: () => this.missingIndices(t).reduce((n, i) => n + chunkLength(t.track, i), 0),
      // A track whose stored chunks are still being audited waits: what it misses is not known yet.
      ready: () => this.auditPending.size === 0 || !t.track.chunks.some((d) => this.auditPending.has(d)),
    };
  }

  /** Rebuilds the download queue from what is needed and missing now. */
  private replan(options: { windowMs?: number } = {}): void {
    if (this.closed) return;
    // Nothing is fetched on the word of a manifest this build considers outdated (offline
    // app-epoch): what verifies plays, the rest waits for the new manifest.
    const needed = this.neededTracks();
    // One pass, so completions and lookups stay O(1) with tens of thousands of tracks.
    this.byContent = new Map();
    for (const t of needed) {
      const list = this.byContent.get(t.contentId);
      if (list) list.push(t);
      else this.byContent.set(t.contentId, [t]);
    }
    if (!this.catalog || !this.catalogTrusted || this.catalog.epoch < this.opts.appSecurityEpoch) {
      this.scheduler.setPlan([]);
      return;
    }
    const jobs: SchedulerJob[] = [];
    const contents = new Set<string>();
    this.plannedDigests = new Map();
    this.overallDone = 0;
    for (const t of needed) {
      if (this.failureOf(t)) continue;
      if (contents.has(t.contentId)) continue; // equal content: one download serves every track id
      contents.add(t.contentId);
      const missing = this.missingIndices(t);
      const auditing = this.auditPending.size > 0 && t.track.chunks.some((d) => this.auditPending.has(d));
      if (missing.length === 0 && !auditing) continue;
      jobs.push(this.job(t));
      t.track.chunks.forEach((d, i) => {
        if (this.plannedDigests.has(d)) return;
        const len = chunkLength(t.track, i);
        this.plannedDigests.set(d, len);
        if (this.have.has(d)) this.overallDone += len;
      });
    }
    this.scheduler.setPlan(jobs, { ...options, chunkSize: this.catalog.maxChunkSize() });
  }

  private failureOf(t: CatalogTrack) {
    const failure = this.trackRecords.get(t.track.id)?.failure;
    return failure && failure.contentId === t.contentId ? failure : undefined;
  }

  private async forgetFailures(): Promise<void> {
    for (const record of this.trackRecords.values()) {
      if (record.failure) {
        const { failure: _, ...rest } = record;
        this.trackRecords.set(record.id, rest);
        await this.store.putTrack(rest);
      }
    }
  }

  /** Deletes stored chunks no offline playlist needs (invariant 5: only when nothing references them). */
  private async collectGarbage(): Promise<void> {
    if (!this.catalog || !this.catalogTrusted) return;
    const needed = this.neededDigests();
    const unneeded = [...this.have, ...this.heldBackChunks].filter((d) => !needed.has(d));
    if (unneeded.length === 0) return;
    await this.store.deleteChunks(unneeded);
    for (const d of unneeded) {
      this.have.delete(d);
      this.heldBackChunks.delete(d);
    }
  }

  // ── downloads ─────────────────────────────────────────────────────────────────────────

  private async commit(_trackId: string, chunks: VerifiedChunk[]): Promise<void> {
    await this.store.putChunks(chunks);
    this.commits++;
    for (const c of chunks) {
      this.heldBackChunks.delete(c.digest); // a verified copy replaced the bad one
      if (this.syncing) this.syncFetched.add(c.digest);
      if (this.have.has(c.digest)) continue;
      this.have.add(c.digest);
      const len = this.plannedDigests.get(c.digest);
      if (len !== undefined) this.overallDone += len;
    }
    this.scheduleProgress(_trackId);
  }

  /** Needed tracks with this content, first the one whose id names its download (indexed at replan). */
  private tracksWithContent(contentId: string): CatalogTrack[] {
    return this.byContent.get(contentId) ?? [];
  }

  private async onComplete(trackId: string, downloaded: boolean): Promise<void> {
    const t = this.catalog?.tracks.get(trackId);
    if (!t) return;
    if (downloaded) this.scheduleProgress(trackId);
    const same = this.tracksWithContent(t.contentId);
    // Events first (the chunks are committed already); the records that follow are bookkeeping.
    if (downloaded) for (const s of same) this.events.emit('track-complete', { trackId: s.track.id });
    for (const s of same) {
      const record: TrackRecord = { ...(this.trackRecords.get(s.track.id) ?? { id: s.track.id }), completedContentId: t.contentId, bytes: t.track.size };
      delete record.failure;
      this.trackRecords.set(s.track.id, record);
      await this.store.putTrack(record).catch(() => {});
    }
  }

  private async onFailed(trackId: string, error: RepriseError): Promise<void> {
    const t = this.catalog?.tracks.get(trackId);
    if (!t) return;
    const same = this.tracksWithContent(t.contentId);
    const at = this.opts.clock.now();
    for (const s of same) {
      this.trackRecords.set(s.track.id, {
        ...(this.trackRecords.get(s.track.id) ?? { id: s.track.id }),
        failure: { code: error.code, message: error.message, at, contentId: t.contentId },
      });
    }
    for (const s of same) this.events.emit('track-failed', { trackId: s.track.id, code: error.code, message: error.message });
    for (const s of same) await this.store.putTrack(this.trackRecords.get(s.track.id)!).catch(() => {});
  }

  /** Emits `progress` at most every 100 ms, the latest state last (a trailing throttle). */
  private scheduleProgress(trackId: string | undefined): void {
    if (trackId !== undefined) this.pendingProgress = trackId;
    if (this.pendingProgress === undefined || this.progressTimer) return;
    const wait = this.progressAt + PROGRESS_INTERVAL_MS - this.opts.clock.now();
    if (wait <= 0) return this.flushProgress(this.pendingProgress);
    const timer = new AbortController();
    this.progressTimer = timer;
    this.opts.clock.sleep(wait, timer.signal).then(
      () => {
        this.progressTimer = undefined;
        if (this.pendingProgress !== undefined) this.flushProgress(this.pendingProgress);
      },
      () => {},
    );
  }

  private flushProgress(trackId: string): void {
    const t = this.catalog?.tracks.get(trackId);
    if (!t) return;
    this.progressTimer?.abort();
    this.progressTimer = undefined;
    this.pendingProgress = undefined;
    const now = this.opts.clock.now();
    this.progressAt = now;
    let bytesTotal = 0;
    for (const len of this.plannedDigests.values()) bytesTotal += len;
    const rate = this.meter.rate(now);
    this.events.emit('progress', {
      trackId,
      bytesDone: trackBytesDone(t, this.have),
      bytesTotal: t.track.size,
      overall: {
        bytesDone: this.overallDone,
        bytesTotal,
        bytesPerSecond: rate,
        etaSeconds: rate > 0 ? Math.max(0, bytesTotal - this.overallDone) / rate : null,
      },
    });
  }

  // ── state ─────────────────────────────────────────────────────────────────────────────

  private setBusy(state: EngineState | undefined): void {
    this.busy = state;
    this.emitState();
  }

  private currentState(): EngineState {
    if (this.closed) return { state: 'closed' };
    if (this.busy) return this.busy;
    return this.scheduler.state();
  }

  private emitState(): void {
    const state = this.currentState();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    if (state.state === 'paused' && state.reason === 'quota-exceeded') this.watchQuota();
    this.events.emit('state', state);
  }

  // ── the rest of the public API ────────────────────────────────────────────────────────

  async setOffline(playlistId: string, offline: boolean, options: { pinned?: boolean } = {}): Promise<void> {
    this.assertOpen();
    parseOrThrow(idSchema, playlistId, 'playlistId');
    if (typeof offline !== 'boolean') throw new RepriseError('invalid-argument', 'offline: must be true or false', { path: 'offline' });
    if (this.catalog && !this.catalog.playlists.has(playlistId)) {
      throw new RepriseError('invalid-argument', `playlistId: the manifest in force lists no playlist "${playlistId}"`, { path: 'playlistId', playlistId });
    }
    const record: PlaylistRecord = { ...(this.choices.get(playlistId) ?? { id: playlistId }), offline, evicted: false };
    if (offline) record.offlineAt = this.opts.clock.now();
    if (options.pinned !== undefined) record.pinned = options.pinned;
    this.choices.set(playlistId, record);
    this.removed.delete(playlistId);
    await this.store.putPlaylist(record);
    if (!offline) await this.release();
    else {
      void this.askPersist();
      await this.enforceBudget();
    }
    this.replan({ windowMs: this.scheduler.windowRemaining() });
  }

  async remove(playlistId: string): Promise<void> {
    this.assertOpen();
    parseOrThrow(idSchema, playlistId, 'playlistId');
    const record = this.choices.get(playlistId);
    if (record) {
      const { offline: _o, pinned: _p, ...rest } = record;
      this.choices.set(playlistId, rest);
      await this.store.putPlaylist(rest);
    }
    this.removed.add(playlistId);
    await this.release();
    this.replan();
  }

  /** After content was released: free it, and give a quota pause another chance. */
  private async release(): Promise<void> {
    await this.collectGarbage();
    await this.refreshSpace();
    this.scheduler.resume('quota-exceeded');
  }

  /**
   * `navigator.storage.estimate()` where it exists: the queue does not start a track the origin
   * has no room for (it pauses with `quota-exceeded` instead of failing half-way).
   */
  private async refreshSpace(): Promise<void> {
    const estimate = await storageEstimate();
    if (estimate?.quota === undefined || estimate.usage === undefined) return;
    this.scheduler.setSpaceLeft(Math.max(0, estimate.quota - estimate.usage));
  }

  /** While paused for quota, look again every 30 s: the browser or the user may have freed space. */
  private watchQuota(): void {
    if (this.quotaWatch || this.closed) return;
    const timer = new AbortController();
    this.quotaWatch = timer;
    const loop = async () => {
      try {
        while (!timer.signal.aborted && this.currentState().state === 'paused') {
          await this.opts.clock.sleep(QUOTA_POLL_MS, timer.signal);
          const before = await storageEstimate();
          if (before?.quota !== undefined && before.usage !== undefined && before.quota - before.usage > this.catalog!.maxChunkSize()) {
            await this.refreshSpace();
            this.scheduler.resume('quota-exceeded');
          }
        }
      } catch {
        // aborted
      } finally {
        this.quotaWatch = undefined;
      }
    };
    void loop();
  }

  async clear(): Promise<void> {
    this.assertOpen();
    this.scheduler.setPlan([]);
    await this.store.clearContent();
    this.have.clear();
    this.choices.clear();
    this.trackRecords.clear();
    this.removed.clear();
    await this.refreshSpace();
    this.scheduler.resume('quota-exceeded');
    this.replan();
  }

  async getTrack(trackId: string): Promise<Blob> {
    this.assertOpen();
    parseOrThrow(idSchema, trackId, 'trackId');
    const t = this.servableTrack(trackId);
    const parts: Uint8Array[] = [];
    for await (const part of readVerified(this.store, t.track, 0, t.track.size - 1, (_i, digest) => this.holdBack(digest))) parts.push(part);
    await this.notePlay(trackId);
    return new Blob(parts as BlobPart[], { type: t.track.mimeType });
  }

  /** The catalog entry of a track that can be served now, or the error saying why not. */
  private servableTrack(trackId: string): CatalogTrack {
    if (this.meta.manifest && !this.catalogTrusted) {
      throw new RepriseError('not-cached', `track "${trackId}" is held back: the key of the stored manifest is no longer trusted; sync() with a network connection`, { trackId, heldBack: true });
    }
    if (!this.catalog) throw new RepriseError('not-cached', `no manifest has been accepted yet; call sync() first (track "${trackId}")`, { trackId });
    if (!this.catalogTrusted) {
      throw new RepriseError('not-cached', `track "${trackId}" is held back: the key of the stored manifest is no longer trusted; sync() with a network connection`, { trackId, heldBack: true });
    }
    const t = this.catalog.trackOrThrow(trackId);
    assertNotRefused(t);
    const missing = this.missingIndices(t);
    if (missing.length > 0) {
      this.scheduler.prioritize(this.jobIdFor(t));
      throw new RepriseError('not-cached', `track "${trackId}" has ${missing.length} of ${t.track.chunks.length} chunks still to download`, { trackId });
    }
    return t;
  }

  private jobIdFor(t: CatalogTrack): string {
    // Equal content is planned once, under the first track id that needs it.
    return this.byContent.get(t.contentId)?.[0]?.track.id ?? t.track.id;
  }

  /** A stored chunk failed its digest on a read: remove it and queue the track again. */
  private async holdBack(digest: string): Promise<void> {
    this.have.delete(digest);
    this.corruptSinceSync.add(digest);
    this.corruptFound.add(digest);
    await this.store.deleteChunks([digest]);
    this.replan();
  }

  /**
   * Reports from the service worker, which reads but never writes (one writer per store):
   * a play it served (for download priority), a chunk that failed its digest (held back and
   * queued again), or a track it could not serve (fetched first).
   */
  async playbackReport(report: PlaybackReport): Promise<void> {
    this.assertOpen();
    const t = this.catalog?.tracks.get(report.trackId);
    if (!t) return;
    if (report.type === 'played') await this.notePlay(report.trackId);
    else if (report.type === 'wanted') await this.prioritize(report.trackId);
    else if (report.type === 'corrupt' && t.track.chunks.includes(report.digest) && this.have.has(report.digest)) {
      // Check it here too: the report crossed a message boundary and deletes nothing on its word.
      const [bytes] = await this.store.getChunks([report.digest]);
      if (bytes && (await sha256Base64Url(bytes)) !== report.digest) await this.holdBack(report.digest);
      await this.prioritize(report.trackId);
    }
  }

  private async notePlay(trackId: string): Promise<void> {
    const now = this.opts.clock.now();
    const record = { ...(this.trackRecords.get(trackId) ?? { id: trackId }), lastPlayedAt: now };
    this.trackRecords.set(trackId, record);
    await this.store.putTrack(record);
    for (const p of this.catalog?.playlists.values() ?? []) {
      if (!p.trackIds.includes(trackId)) continue;
      const choice = { ...(this.choices.get(p.id) ?? { id: p.id }), lastPlayedAt: now };
      this.choices.set(p.id, choice);
      await this.store.putPlaylist(choice);
    }
  }

  async prioritize(trackId: string): Promise<boolean> {
    this.assertOpen();
    parseOrThrow(idSchema, trackId, 'trackId');
    const t = this.catalog?.tracks.get(trackId);
    if (!t) return false;
    return this.scheduler.prioritize(this.jobIdFor(t));
  }

  async pause(): Promise<void> {
    this.assertOpen();
    this.scheduler.pause('user');
  }

  async resume(): Promise<void> {
    this.assertOpen();
    this.scheduler.resume('user');
  }

  async setThrottle(throttle: ThrottleOptions): Promise<void> {
    this.assertOpen();
    const t = parseOrThrow(throttleSchema, throttle, 'throttle');
    this.throttleApp = {
      maxConcurrent: t.maxConcurrent ?? this.throttleApp.maxConcurrent,
      bytesPerSecond: t.bytesPerSecond ?? this.throttleApp.bytesPerSecond,
    };
    this.applyThrottle();
  }

  async verify(): Promise<AuditReport> {
    this.assertOpen();
    await this.syncing?.catch(() => {});
    if (!this.catalog || !this.catalogTrusted) {
      throw new RepriseError('not-cached', 'there is no trusted manifest to verify against; call sync() first');
    }
    const started = this.opts.clock.now();
    this.meta.audits = (this.meta.audits ?? 0) + 1;
    const marker = { id: `verify:${this.meta.audits}`, against: 'accepted' as const, complete: false };
    this.meta = { ...this.meta, audit: marker };
    await this.store.writeMeta(this.meta);
    await this.store.clearAudits();
    try {
      await this.audit(marker.id, this.scheduler.windowRemaining());
      this.meta = { ...this.meta, audit: { ...marker, complete: true } };
      await this.store.writeMeta(this.meta);
    } finally {
      this.setBusy(undefined);
    }
    const result = this.lastAudit!;
    return {
      chunksChecked: result.checked,
      bytesChecked: result.bytesChecked,
      corruptChunks: result.corrupt.length,
      ...this.contentTotals(),
      durationMs: this.opts.clock.now() - started,
    };
  }

  async status(): Promise<CacheStatus> {
    this.assertOpen();
    const estimate = await storageEstimate();
    return buildStatus({
      catalog: this.catalog,
      catalogTrusted: this.catalogTrusted,
      have: this.have,
      choices: this.choices,
      trackRecords: this.trackRecords,
      neededTracks: this.neededTracks(),
      effectiveOffline: (id) => this.effectiveOffline(id),
      failureOf: (t) => this.failureOf(t),
      queue: this.scheduler.queued(),
      isActive: (id) => this.scheduler.isActive(id),
      state: this.currentState(),
      securityEpoch: this.meta.highestEpoch,
      throttle: this.scheduler.throttleSettings,
      storage: { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted: this.persisted },
    });
  }

  /** One `navigator.storage.persist()` request per engine, when the user first keeps music offline. */
  private async askPersist(): Promise<void> {
    if (this.persistAsked) return;
    this.persistAsked = true;
    this.persisted = await requestPersistence();
  }

  async idle(): Promise<void> {
    await this.syncing?.catch(() => {});
    return this.scheduler.idle();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort(new RepriseError('aborted', 'the cache was closed'));
    this.scheduler.close();
    this.progressTimer?.abort();
    this.quotaWatch?.abort();
    for (const d of this.detach) d();
    this.emitState();
    this.events.clear();
    await this.syncing?.catch(() => {});
    this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): RepriseError {
    return new RepriseError('aborted', 'this cache is closed; open a new one');
  }
}
