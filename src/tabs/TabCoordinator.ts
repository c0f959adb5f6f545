import { RepriseError } from '../errors/RepriseError.js';
import type { LeadingEngine, PlaybackReport } from '../engine/CacheEngine.js';
import type { CacheEvents } from '../engine/types.js';
import type { EngineMethod, TabMessage } from './protocol.js';
import { ReportFilter } from '../playback/ReportFilter.js';

export type EventSink = <K extends keyof CacheEvents>(type: K, data: CacheEvents[K]) => void;

interface Pending {
  method: EngineMethod;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** What the coordinator needs of the platform; `navigator.locks` and BroadcastChannel in a worker. */
export interface TabPlatform {
  locks: LockManager | undefined;
  channel(name: string): BroadcastChannel;
  /** Milliseconds, for the playback-report window. Default `Date.now`. */
  now?: () => number;
}

const EVENTS = ['progress', 'track-complete', 'track-failed', 'state', 'reset'] as const;

/**
 * One engine writes per database (storage invariant 4). Every tab's worker asks for the Web Lock
 * `reprise:<dbName>`; the one holding it runs the engine, the others hand their calls to it over
 * a BroadcastChannel and re-emit its events. When the leading tab closes, its lock is released,
 * the next tab's request is granted, it opens the engine and syncs; calls still waiting for an
 * answer are sent again to the new leader (only then: a leader announcing itself again changes
 * nothing). A leader whose engine fails to open releases the lock and rejects `start()` with the
 * engine's error. After `close()` nothing is posted.
 *
 * Without Web Locks (old WebViews) every tab leads: run one tab there.
 */
export class TabCoordinator {
  readonly tab = Math.random().toString(36).slice(2);
  private engine: LeadingEngine | undefined;
  private leader: string | undefined;
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private closed = false;
  /** Why the last attempt to lead failed, while no other tab leads: calls reject with it. */
  private failure: unknown;
  private release: (() => void) | undefined;
  private readonly channel: BroadcastChannel | undefined;
  private readonly reports: ReportFilter;
  private settled = false;
  /** A lock request of this tab is pending or granted. */
  private queued = false;
  /** Ask for the lock again once the one held is let go ({@link abdicate}). */
  private requeue = false;
  private readonly ready: Promise<void>;
  private settle!: (error?: unknown) => void;

  constructor(
    private readonly dbName: string,
    private readonly openEngine: () => Promise<LeadingEngine>,
    private readonly emit: EventSink,
    private readonly platform: TabPlatform,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.settle = (error) => {
        if (this.settled) return;
        this.settled = true;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    this.reports = new ReportFilter(platform.now ?? Date.now);
    if (platform.locks) {
      this.channel = platform.channel(`reprise:${dbName}`);
      this.channel.onmessage = (e: MessageEvent<TabMessage>) => void this.onMessage(e.data);
    }
  }

  get role(): 'leader' | 'follower' {
    return this.engine ? 'leader' : 'follower';
  }

  /** Resolves once this tab either leads or knows a leader; rejects when this tab cannot lead. */
  async start(): Promise<void> {
    const locks = this.platform.locks;
    if (!locks) {
      await this.lead();
      return this.ready;
    }
    this.queue(locks);
    this.post({ type: 'who' });
    return this.ready;
  }

  /**
   * Asks for the lock (once at a time): granted when no other tab holds it, this tab leads until
   * close(). One whose engine failed to open lets it go (the next tab tries) and asks again when
   * another tab leads, so that it is in line when that tab closes (no retry loop of its own).
   */
  private queue(locks: LockManager): void {
    if (this.queued || this.closed) return;
    this.queued = true;
    void locks
      .request(`reprise:${this.dbName}`, { mode: 'exclusive' }, async () => {
        if (this.closed) return;
        const held = new Promise<void>((resolve) => (this.release = resolve)); // until close()
        try {
          await this.lead();
        } catch (error) {
          this.fail(error);
          return; // releases the lock: the next tab tries
        }
        await held;
      })
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.queued = false;
        if (this.requeue) (this.requeue = false), this.queue(locks);
      });
  }

  /**
   * The browser closed the store under this tab's engine (storage cleared, a newer version of
   * the app upgrading it): the lock goes, so that a tab that can open it leads — the first in
   * line, else this one again, with a fresh engine; calls made meanwhile wait for that leader.
   */
  private abdicate(): void {
    this.engine = undefined;
    this.leader = undefined;
    this.requeue = true;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** Runs an engine operation here when leading, else on the leading tab. */
  call(method: EngineMethod, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new RepriseError('aborted', 'this cache is closed; open a new one'));
    if (this.engine) return this.run(this.engine, method, args);
    if (this.failure !== undefined && !this.leader) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = `${this.tab}:${++this.seq}`;
      this.pending.set(id, { method, args, resolve, reject });
      this.send(id);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settle(new RepriseError('aborted', 'this cache was closed while opening'));
    for (const p of this.pending.values()) p.reject(new RepriseError('aborted', 'this cache is closed'));
    this.pending.clear();
    this.channel?.close();
    const engine = this.engine;
    this.engine = undefined;
    try {
      await engine?.close();
    } finally {
      this.release?.();
    }
  }

  private async lead(): Promise<void> {
    const takingOver = this.leader !== undefined && this.leader !== this.tab;
    const engine = await this.openEngine();
    if (this.closed) {
      await engine.close();
      throw new RepriseError('aborted', 'this cache was closed while opening');
    }
    this.engine = engine;
    this.leader = this.tab;
    this.failure = undefined;
    for (const type of EVENTS) {
      engine.on(type, (data) => {
        this.emit(type, data);
        this.post({ type: 'event', event: { type, data } as never });
      });
    }
    // Closed, and not by close(): the store went away under it.
    engine.on('state', (s) => s.state === 'closed' && this.engine === engine && !this.closed && this.platform.locks && this.abdicate());
    this.post({ type: 'leader', tab: this.tab });
    // A tab that takes over resumes the pending work (docs/how-it-works.md `none`: "resume any pending
    // work") — before the calls it hands itself, so an idle() among them waits for that work.
    if (takingOver) void engine.sync().catch(() => {});
    this.settle();
    // Calls this tab had handed to a leader that went away run here now.
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.run(engine, p.method, p.args).then(p.resolve, p.reject);
    }
  }

  /** This tab could not lead: the opening caller learns why; later, calls waiting here do. */
  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.leader = undefined; // the lock was ours: no other tab leads
    if (!this.settled) return this.settle(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private run(engine: LeadingEngine, method: EngineMethod, args: unknown[]): Promise<unknown> {
    // The service worker messages every page; each forwards the report: act on it once.
    if (method === 'playbackReport' && !this.reports.first(args[0] as PlaybackReport)) return Promise.resolve();
    return (engine[method] as (...a: unknown[]) => Promise<unknown>)(...args);
  }

  private send(id: string): void {
    const p = this.pending.get(id);
    if (!p || !this.leader) return; // sent when a leader announces itself
    this.post({ type: 'call', id, from: this.tab, to: this.leader, method: p.method, args: p.args });
  }

  private post(message: TabMessage): void {
    if (!this.closed) this.channel?.postMessage(message);
  }

  private async onMessage(m: TabMessage): Promise<void> {
    if (this.closed) return;
    switch (m.type) {
      case 'who':
        if (this.engine) this.post({ type: 'leader', tab: this.tab });
        return;
      case 'leader':
        // Also the leader's answer to another tab's `who`: only a new leader needs the calls again.
        if (this.engine || m.tab === this.leader) return;
        this.leader = m.tab;
        // This tab failed to lead (and let the lock go): in line again behind the new leader.
        if (this.failure !== undefined && this.platform.locks) this.queue(this.platform.locks);
        this.failure = undefined;
        this.settle();
        for (const id of this.pending.keys()) this.send(id);
        return;
      case 'event':
        if (!this.engine) this.emit(m.event.type, m.event.data as never);
        return;
      case 'call': {
        if (m.to !== this.tab || !this.engine) return;
        try {
          const value = await this.run(this.engine, m.method, m.args);
          this.post({ type: 'reply', id: m.id, to: m.from, ok: true, value });
        } catch (error) {
          const e = error as RepriseError;
          this.post({ type: 'reply', id: m.id, to: m.from, ok: false, error: { name: e.name, message: e.message, details: e.details } });
        }
        return;
      }
      case 'reply': {
        if (m.to !== this.tab) return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.name, details: m.error.details }));
        return;
      }
    }
  }
}
