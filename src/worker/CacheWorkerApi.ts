import { Engine } from '../engine/CacheEngine.js';
import { resolveOptions } from '../engine/options.js';
import type { EngineOptions, ThrottleOptions } from '../engine/options.js';
import type { AuditReport, CacheEvents, CacheStatus, SyncReport } from '../engine/types.js';
import { TabCoordinator } from '../tabs/TabCoordinator.js';

/** Options that cross into the worker: the engine's, minus what cannot be cloned. */
export type WorkerEngineOptions = Omit<EngineOptions, 'indexedDB' | 'fetch' | 'clock' | 'random'>;

export type WorkerEventListener = <K extends keyof CacheEvents>(type: K, event: CacheEvents[K]) => void;

/**
 * The page ↔ worker contract, the one source of truth: the page's type is comlink's
 * `Remote<CacheWorkerApi>`. Every method resolves in the leading tab's engine.
 */
export interface CacheWorkerApi {
  open(options: WorkerEngineOptions, listener: WorkerEventListener): Promise<{ role: 'leader' | 'follower' }>;
  sync(): Promise<SyncReport>;
  setOffline(playlistId: string, offline: boolean, options?: { pinned?: boolean }): Promise<void>;
  status(): Promise<CacheStatus>;
  getTrack(trackId: string): Promise<Blob>;
  prioritize(trackId: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  setThrottle(throttle: ThrottleOptions): Promise<void>;
  verify(): Promise<AuditReport>;
  remove(playlistId: string): Promise<void>;
  clear(): Promise<void>;
  idle(): Promise<void>;
  /** Forwarded from the service worker (see Engine#playbackReport). */
  playbackReport(report: Parameters<Engine['playbackReport']>[0]): Promise<void>;
  close(): Promise<void>;
}

export function createCacheWorkerApi(): CacheWorkerApi {
  let coordinator: TabCoordinator | undefined;
  const call = <T>(method: Parameters<TabCoordinator['call']>[0], ...args: unknown[]) => {
    if (!coordinator) return Promise.reject(Object.assign(new Error('call open() first'), { name: 'invalid-argument' }));
    return coordinator.call(method, args) as Promise<T>;
  };
  return {
    async open(options, listener) {
      const resolved = resolveOptions(options); // invalid-argument naming the option, before anything starts
      coordinator = new TabCoordinator(resolved.dbName, () => Engine.open(resolved), (type, data) => void listener(type, data), {
        locks: (globalThis.navigator as Navigator | undefined)?.locks,
        channel: (name) => new BroadcastChannel(name),
      });
      await coordinator.start();
      return { role: coordinator.role };
    },
    sync: () => call('sync'),
    setOffline: (id, offline, options) => call('setOffline', id, offline, options),
    status: () => call('status'),
    getTrack: (id) => call('getTrack', id),
    prioritize: (id) => call('prioritize', id),
    pause: () => call('pause'),
    resume: () => call('resume'),
    setThrottle: (t) => call('setThrottle', t),
    verify: () => call('verify'),
    remove: (id) => call('remove', id),
    clear: () => call('clear'),
    idle: () => call('idle'),
    playbackReport: (r) => call('playbackReport', r),
    async close() {
      await coordinator?.close();
      coordinator = undefined;
    },
  };
}
