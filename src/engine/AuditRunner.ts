import { type AuditResult, runAudit } from '../audit/runAudit.js';
import type { CatalogTrack } from '../manifest/Catalog.js';
import type { Store } from '../store/Store.js';
import type { Clock } from '../util/clock.js';
import type { Inventory } from './Inventory.js';
import { PROGRESS_INTERVAL_MS } from './ProgressReporter.js';
import type { StateReporter } from './StateReporter.js';
import type { TrustState } from './TrustState.js';

export interface AuditRequest {
  /** The audit's id: chunks it verified are marked with it, so an interrupted audit resumes. */
  id: string;
  /** Whose stored chunks to re-hash, in download priority order. */
  tracks: readonly CatalogTrack[];
  /** Skip chunks an earlier run of the same audit id already verified. */
  resumable: boolean;
  /** A chunk found corrupt by this audit. */
  onCorrupt?(digest: string): void;
  /** A chunk this audit expected in the store and did not find. */
  onMissing?(digest: string): void;
  /** The download plan should be rebuilt (the audit started, or ended). */
  replan(): void;
}

/**
 * Re-hashes stored chunks (docs/how-it-works.md "Reset detection"), one audit at a time. Each audit has
 * its own set of chunks not reached yet: a download waits for its track until the track's own
 * chunks are audited, then starts while the audit goes on with the next tracks.
 */
export class AuditRunner {
  private current: { id: string; pending: Set<string> } | undefined;

  constructor(
    private readonly store: Store,
    private readonly trust: TrustState,
    private readonly inventory: Inventory,
    private readonly state: StateReporter,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
    private readonly poke: () => void,
  ) {}

  /** Whether a download of `t` must wait: the running audit has not reached all its stored chunks. */
  blocks(t: CatalogTrack): boolean {
    const pending = this.current?.pending;
    return pending !== undefined && pending.size > 0 && t.track.chunks.some((d) => pending.has(d));
  }

  async run(request: AuditRequest): Promise<AuditResult> {
    if (this.current) throw new Error(`audit ${request.id} started while ${this.current.id} runs`); // the operation queue prevents it
    const { have, heldBackChunks } = this.inventory;
    const order: string[] = [];
    const seen = new Set<string>();
    for (const t of request.tracks) for (const d of t.track.chunks) if (have.has(d) && !seen.has(d)) (seen.add(d), order.push(d));
    const audit = { id: request.id, pending: new Set(order) };
    this.current = audit;
    try {
      request.replan();
      const already = request.resumable ? await this.store.auditedBy(request.id) : new Set<string>();
      for (const d of already) audit.pending.delete(d);
      this.state.set({ state: 'auditing', progress: { chunksDone: already.size, chunksTotal: order.length } });
      let lastEmit = 0;
      // Against the stored manifest while the new one is unreachable, nothing is deleted (rule 4): only held back.
      const marker = this.trust.meta.audit;
      const deleteCorrupt = marker?.id !== request.id || marker.against === 'accepted';
      const result = await runAudit({
        store: this.store,
        id: request.id,
        digests: order,
        alreadyVerified: already,
        signal: this.signal,
        deleteCorrupt,
        maxChunkSize: this.trust.catalog?.maxChunkSize(),
        onBatch: ({ verified, corrupt, missing }, done, total) => {
          for (const d of [...verified, ...corrupt, ...missing]) audit.pending.delete(d);
          for (const d of [...corrupt, ...missing]) have.delete(d);
          for (const d of missing) request.onMissing?.(d);
          for (const d of corrupt) {
            request.onCorrupt?.(d);
            if (deleteCorrupt) heldBackChunks.delete(d);
            else heldBackChunks.add(d);
          }
          this.poke();
          const now = this.clock.now();
          if (now - lastEmit >= PROGRESS_INTERVAL_MS || done === total) {
            lastEmit = now;
            this.state.set({ state: 'auditing', progress: { chunksDone: done, chunksTotal: total } });
          }
        },
      });
      this.inventory.corruptSinceSync.clear();
      return result;
    } finally {
      this.current = undefined;
      request.replan();
    }
  }

  /** Records a full audit as complete — only while it is still the audit in force (a newer one may have replaced it). */
  async markComplete(id: string): Promise<void> {
    const marker = this.trust.meta.audit;
    if (marker?.id !== id) return;
    this.trust.meta = { ...this.trust.meta, audit: { ...marker, complete: true } };
    await this.trust.save();
  }

  /** Starts a new full audit: recorded before any chunk is hashed, so an interrupted one resumes. */
  async begin(prefix: string, against: 'accepted' | 'stored'): Promise<string> {
    const audits = (this.trust.meta.audits ?? 0) + 1;
    const id = `${prefix}:${audits}`;
    this.trust.meta = { ...this.trust.meta, audits, audit: { id, against, complete: false } };
    await this.trust.save();
    await this.store.clearAudits();
    return id;
  }
}
