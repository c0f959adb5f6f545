import type { Catalog, CatalogTrack } from '../manifest/Catalog.js';
import { chunkLength } from '../manifest/Catalog.js';
import type { RateMeter } from '../scheduler/RateMeter.js';
import type { Clock } from '../util/clock.js';
import { trackBytesDone } from './buildStatus.js';
import type { Emitter } from './Emitter.js';
import type { CacheEvents } from './types.js';

/** DESIGN.md: `progress` at most about ten a second. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * The `progress` event (DESIGN.md "Public API"): `overall` covers the whole queued job — every
 * chunk of the tracks queued since the job began, each once, including those that completed
 * meanwhile — and how many of its bytes are verified and stored. A replan keeps the tracks of the
 * running job that completed, so `overall` never goes backwards while the plan is unchanged; a
 * job begins afresh when the last one finished. `overall` reaches `bytesTotal` (and `etaSeconds`
 * 0) only once every track of the job is complete: an event that would show the total waits for
 * the last `track-complete`, and follows it. The rate is measured over stored bytes and never
 * shows more than the cap. Emitted at most every 100 ms, the latest state last (a trailing
 * throttle on the injected clock).
 */
export class ProgressReporter {
  /** Chunks of the job: digest → length. */
  private chunks = new Map<string, number>();
  /** Tracks of the job by id, and those of them complete. */
  private tracks = new Map<string, CatalogTrack>();
  private completed = new Set<string>();
  private done = 0;
  private total = 0;
  private emittedAt = 0;
  private timer: AbortController | undefined;
  private pending: string | undefined;
  private readonly detach: () => void;

  constructor(
    private readonly clock: Clock,
    /** Fed here with stored bytes: the rate of verified bytes. */
    private readonly meter: RateMeter,
    private readonly events: Emitter<CacheEvents>,
    private readonly lookup: () => { catalog: Catalog | undefined; have: ReadonlySet<string> },
    /** The cap in force (bytes per second, Infinity for none): the rate shown never exceeds it. */
    private readonly cap: () => number = () => Infinity,
  ) {
    this.detach = events.on('track-complete', ({ trackId }) => this.trackComplete(trackId));
  }

  /** The plan changed: these tracks are queued now (complete ones are left out). */
  plan(tracks: readonly CatalogTrack[], have: ReadonlySet<string>): void {
    const running = this.tracks.size > 0 && this.completed.size < this.tracks.size;
    const kept = running ? [...this.tracks.values()].filter((t) => this.completed.has(t.track.id) || isStored(t, have)) : [];
    this.tracks = new Map();
    this.completed = new Set();
    this.chunks = new Map();
    this.done = 0;
    this.total = 0;
    for (const t of [...kept, ...tracks]) {
      if (this.tracks.has(t.track.id)) continue;
      this.tracks.set(t.track.id, t);
      // Complete already (kept from the running job, or stored and only held by an audit).
      if (isStored(t, have)) this.completed.add(t.track.id);
      t.track.chunks.forEach((d, i) => {
        if (this.chunks.has(d)) return;
        const len = chunkLength(t.entry, i);
        this.chunks.set(d, len);
        this.total += len;
        if (have.has(d)) this.done += len;
      });
    }
  }

  /** A chunk was stored (it was not present before). */
  stored(digest: string): void {
    const len = this.chunks.get(digest);
    if (len === undefined) return;
    this.done += len;
    // Verified, stored bytes: what the rate and the ETA are about (not bytes read off the wire).
    this.meter.add(this.clock.now(), len);
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
    this.detach();
  }

  private trackComplete(trackId: string): void {
    if (!this.tracks.has(trackId) || this.completed.has(trackId)) return;
    this.completed.add(trackId);
    // After every listener of this track-complete: the event that shows the total follows it.
    if (this.completed.size === this.tracks.size) queueMicrotask(() => this.schedule(trackId));
  }

  private flush(trackId: string): void {
    const { catalog, have } = this.lookup();
    const t = catalog?.tracks.get(trackId);
    if (!t) return;
    // The total waits for the last track-complete (which flushes again).
    if (this.done >= this.total && this.completed.size < this.tracks.size) return;
    this.timer?.abort();
    this.timer = undefined;
    this.pending = undefined;
    const now = this.clock.now();
    this.emittedAt = now;
    const rate = Math.min(this.meter.rate(now), this.cap());
    const left = Math.max(0, this.total - this.done);
    this.events.emit('progress', {
      trackId,
      bytesDone: trackBytesDone(t, have),
      bytesTotal: t.entry.size,
      overall: {
        bytesDone: this.done,
        bytesTotal: this.total,
        bytesPerSecond: rate,
        etaSeconds: left === 0 ? 0 : rate > 0 ? left / rate : null,
      },
    });
  }
}

const isStored = (t: CatalogTrack, have: ReadonlySet<string>) => t.track.chunks.every((d) => have.has(d));
