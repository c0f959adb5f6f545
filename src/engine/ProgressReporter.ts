import type { Catalog, CatalogTrack } from '../manifest/Catalog.js';
import { chunkLength } from '../manifest/Catalog.js';
import type { RateMeter } from '../scheduler/RateMeter.js';
import type { Clock } from '../util/clock.js';
import { trackBytesDone } from './buildStatus.js';
import type { Emitter } from './Emitter.js';
import type { CacheEvents } from './types.js';

/** docs/how-it-works.md: `progress` at most about ten a second. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * The `progress` event: bytes of the queued job (every chunk of the planned tracks, each once)
 * and how many of them are stored, with the verified-byte rate. Emitted at most every 100 ms,
 * the latest state last (a trailing throttle on the injected clock).
 */
export class ProgressReporter {
  private planned = new Map<string, number>();
  private done = 0;
  private emittedAt = 0;
  private timer: AbortController | undefined;
  private pending: string | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly meter: RateMeter,
    private readonly events: Emitter<CacheEvents>,
    private readonly lookup: () => { catalog: Catalog | undefined; have: ReadonlySet<string> },
  ) {}

  /** The job changed: these tracks are queued now. */
  plan(tracks: readonly CatalogTrack[], have: ReadonlySet<string>): void {
    this.planned = new Map();
    this.done = 0;
    for (const t of tracks) {
      t.track.chunks.forEach((d, i) => {
        if (this.planned.has(d)) return;
        const len = chunkLength(t.entry, i);
        this.planned.set(d, len);
        if (have.has(d)) this.done += len;
      });
    }
  }

  /** A chunk was stored (it was not present before). */
  stored(digest: string): void {
    const len = this.planned.get(digest);
    if (len !== undefined) this.done += len;
  }

  schedule(trackId: string | undefined): void {
    if (trackId !== undefined) this.pending = trackId;
    if (this.pending === undefined || this.timer) return;
    const wait = this.emittedAt + PROGRESS_INTERVAL_MS - this.clock.now();
    if (wait <= 0) return this.flush(this.pending);
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(wait, timer.signal).then(
      () => {
        this.timer = undefined;
        if (this.pending !== undefined) this.flush(this.pending);
      },
      () => {},
    );
  }

  close(): void {
    this.timer?.abort();
    this.timer = undefined;
  }

  private flush(trackId: string): void {
    const { catalog, have } = this.lookup();
    const t = catalog?.tracks.get(trackId);
    if (!t) return;
    this.close();
    this.pending = undefined;
    const now = this.clock.now();
    this.emittedAt = now;
    let bytesTotal = 0;
    for (const len of this.planned.values()) bytesTotal += len;
    const rate = this.meter.rate(now);
    this.events.emit('progress', {
      trackId,
      bytesDone: trackBytesDone(t, have),
      bytesTotal: t.entry.size,
      overall: {
        bytesDone: this.done,
        bytesTotal,
        bytesPerSecond: rate,
        etaSeconds: rate > 0 ? Math.max(0, bytesTotal - this.done) / rate : null,
      },
    });
  }
}
