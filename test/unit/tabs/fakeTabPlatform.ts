import type { LeadingEngine, PlaybackReport } from '../../../src/engine/CacheEngine.js';
import type { CacheEvents } from '../../../src/engine/types.js';
import type { TabMessage } from '../../../src/tabs/protocol.js';
import type { TabPlatform } from '../../../src/tabs/TabCoordinator.js';

/** Web Locks as the spec has them for one exclusive name: granted in request order, released when the callback settles. */
export class FakeLocks {
  private readonly queues = new Map<string, (() => void)[]>();
  readonly held = new Set<string>();

  request(name: string, _options: unknown, callback: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.add(name);
        Promise.resolve()
          .then(callback)
          .then(resolve, reject)
          .finally(() => {
            this.held.delete(name);
            const next = this.queues.get(name)?.shift();
            next?.();
          });
      };
      if (this.held.has(name)) {
        const q = this.queues.get(name) ?? [];
        q.push(grant);
        this.queues.set(name, q);
      } else grant();
    });
  }

  waiting(name: string): number {
    return this.queues.get(name)?.length ?? 0;
  }
}

/** BroadcastChannel in memory: a message reaches every other open channel of the name in a later task; posting after close throws as browsers do. */
export class FakeChannelHub {
  readonly log: TabMessage[] = [];
  readonly postsAfterClose: TabMessage[] = [];
  private readonly open = new Set<FakeChannel>();

  channel(): BroadcastChannel {
    const c = new FakeChannel(this);
    this.open.add(c);
    return c as unknown as BroadcastChannel;
  }

  deliver(from: FakeChannel, message: TabMessage): void {
    if (from.closed) {
      this.postsAfterClose.push(message);
      throw new DOMException('BroadcastChannel is closed.', 'InvalidStateError');
    }
    this.log.push(message);
    const data = structuredClone(message);
    for (const c of this.open) if (c !== from) setImmediate(() => !c.closed && c.onmessage?.({ data } as MessageEvent));
  }

  count(type: TabMessage['type']): number {
    return this.log.filter((m) => m.type === type).length;
  }
}

class FakeChannel {
  closed = false;
  onmessage: ((e: MessageEvent) => void) | null = null;
  constructor(private readonly hub: FakeChannelHub) {}
  postMessage(message: TabMessage): void {
    this.hub.deliver(this, message);
  }
  close(): void {
    this.closed = true;
  }
}

export function platform(locks: FakeLocks, hub: FakeChannelHub, now: () => number = Date.now): TabPlatform {
  return { locks: locks as unknown as LockManager, channel: () => hub.channel(), now };
}

type Listener = (event: never) => void;

/** An engine that counts what it was asked; `gate` holds a method's answer until the test opens it. */
export class FakeEngine implements LeadingEngine {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly reports: PlaybackReport[] = [];
  readonly listeners = new Map<string, Set<Listener>>();
  gate: Promise<void> | undefined;
  closed = false;
  /** Emitted from inside close(), as an engine's final `state` would be. */
  emitOnClose: keyof CacheEvents | undefined;

  private async record(method: string, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    await this.gate;
  }
  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
  emit(type: keyof CacheEvents, data: unknown): void {
    this.listeners.get(type)?.forEach((fn) => fn(data as never));
  }

  async sync() {
    await this.record('sync', []);
    return {} as never;
  }
  async setOffline(...args: unknown[]) {
    await this.record('setOffline', args);
  }
  async status() {
    await this.record('status', []);
    return { state: 'idle' } as never;
  }
  async getTrack(...args: unknown[]) {
    await this.record('getTrack', args);
    return new Blob();
  }
  async prioritize(...args: unknown[]) {
    await this.record('prioritize', args);
    return true;
  }
  async pause() {
    await this.record('pause', []);
  }
  async resume() {
    await this.record('resume', []);
  }
  async setThrottle(...args: unknown[]) {
    await this.record('setThrottle', args);
  }
  async verify() {
    await this.record('verify', []);
    return {} as never;
  }
  async remove(...args: unknown[]) {
    await this.record('remove', args);
  }
  async clear() {
    await this.record('clear', []);
  }
  async idle() {
    await this.record('idle', []);
  }
  async playbackReport(report: PlaybackReport) {
    this.reports.push(report);
  }
  async close() {
    if (this.emitOnClose) this.emit(this.emitOnClose, { state: 'idle' });
    this.closed = true;
  }
  on<K extends keyof CacheEvents>(type: K, listener: (event: CacheEvents[K]) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener as Listener);
    this.listeners.set(type, set);
    return () => set.delete(listener as Listener);
  }
}
