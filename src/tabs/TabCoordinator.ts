import { RepriseError } from '../errors/RepriseError.js';
import type { LeadingEngine } from '../engine/CacheEngine.js';
import type { CacheEvents } from '../engine/types.js';
import type { EngineMethod, TabMessage } from './protocol.js';

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
}

/**
 * One engine writes per database (storage invariant 4). Every tab's worker asks for the Web Lock
 * `reprise:<dbName>`; the one holding it runs the engine, the others hand their calls to it over
 * a BroadcastChannel and re-emit its events. When the leading tab closes, its lock is released,
 * the next tab's request is granted, it opens the engine and syncs: pending work resumes from
 * the store without fetching any committed chunk again.
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
  private release: (() => void) | undefined;
  private readonly channel: BroadcastChannel | undefined;
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly dbName: string,
    private readonly openEngine: () => Promise<LeadingEngine>,
    private readonly emit: EventSink,
    private readonly platform: TabPlatform,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    if (platform.locks) {
      this.channel = platform.channel(`reprise:${dbName}`);
      this.channel.onmessage = (e: MessageEvent<TabMessage>) => void this.onMessage(e.data);
    }
  }

  get role(): 'leader' | 'follower' {
    return this.engine ? 'leader' : 'follower';
  }

  /** Resolves once this tab either leads or knows a leader. */
  async start(): Promise<void> {
    const locks = this.platform.locks;
    if (!locks) {
      await this.lead();
      return this.ready;
    }
    void locks
      .request(`reprise:${this.dbName}`, { mode: 'exclusive' }, async () => {
        if (this.closed) return;
        await this.lead();
        await new Promise<void>((resolve) => (this.release = resolve)); // held until close()
      })
      .catch(() => {});
    this.post({ type: 'who' });
    return this.ready;
  }

  /** Runs an engine operation here when leading, else on the leading tab. */
  call(method: EngineMethod, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new RepriseError('aborted', 'this cache is closed; open a new one'));
    if (this.engine) return (this.engine[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    return new Promise((resolve, reject) => {
      const id = `${this.tab}:${++this.seq}`;
      this.pending.set(id, { method, args, resolve, reject });
      this.send(id);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new RepriseError('aborted', 'this cache is closed'));
    this.pending.clear();
    await this.engine?.close();
    this.engine = undefined;
    this.release?.();
    this.channel?.close();
  }

  private async lead(): Promise<void> {
    const takingOver = this.leader !== undefined && this.leader !== this.tab;
    const engine = await this.openEngine();
    this.engine = engine;
    this.leader = this.tab;
    for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset'] as const) {
      engine.on(type, (data) => {
        this.emit(type, data);
        this.post({ type: 'event', event: { type, data } as never });
      });
    }
    this.post({ type: 'leader', tab: this.tab });
    // A tab that takes over resumes the pending work (DESIGN.md `none`: "resume any pending
    // work") — before the calls it hands itself, so an idle() among them waits for that work.
    if (takingOver) void engine.sync().catch(() => {});
    this.markReady();
    // Calls this tab had handed to a leader that went away run here now.
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.call(p.method, p.args).then(p.resolve, p.reject);
    }
  }

  private send(id: string): void {
    const p = this.pending.get(id);
    if (!p || !this.leader) return; // sent when a leader announces itself
    this.post({ type: 'call', id, from: this.tab, to: this.leader, method: p.method, args: p.args });
  }

  private post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }

  private async onMessage(m: TabMessage): Promise<void> {
    if (this.closed) return;
    switch (m.type) {
      case 'who':
        if (this.engine) this.post({ type: 'leader', tab: this.tab });
        return;
      case 'leader':
        this.leader = m.tab;
        this.markReady();
        for (const id of this.pending.keys()) this.send(id);
        return;
      case 'event':
        if (!this.engine) this.emit(m.event.type, m.event.data as never);
        return;
      case 'call': {
        if (m.to !== this.tab || !this.engine) return;
        try {
          const value = await (this.engine[m.method] as (...a: unknown[]) => Promise<unknown>)(...m.args);
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
        else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, details: m.error.details }));
        return;
      }
    }
  }
}
