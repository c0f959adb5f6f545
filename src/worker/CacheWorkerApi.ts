import type { CacheEngine, PlaybackReport } from '../engine/CacheEngine.js';
import { openLeadingEngine } from '../engine/createCacheEngine.js';
import { resolveOptions } from '../engine/options.js';
import type { EngineOptions } from '../engine/EngineOptions.js';
import type { CacheEvents } from '../engine/types.js';
import { ENGINE_METHODS, type EngineMethod } from '../tabs/protocol.js';
import { TabCoordinator } from '../tabs/TabCoordinator.js';
import { readerPorts } from '../playback/ReaderPorts.js';

/** Options that cross into the worker: the engine's, minus what cannot be cloned. */
export type WorkerEngineOptions = Omit<EngineOptions, 'indexedDB' | 'fetch' | 'clock' | 'random'>;

export type WorkerEventListener = <K extends keyof CacheEvents>(type: K, event: CacheEvents[K]) => void;

/** The engine operations the worker runs for the page: the engine's own signatures. */
export type WorkerEngineMethods = Pick<CacheEngine, (typeof ENGINE_METHODS)[number]>;

/**
 * The page ↔ worker contract, the one source of truth: derived from the engine's interface, and
 * the page's type is comlink's `Remote<CacheWorkerApi>`. Every operation resolves in the leading
 * tab's engine.
 */
export interface CacheWorkerApi extends WorkerEngineMethods {
  /** `authorize` is the page's hook, passed as a comlink proxy (it is not cloneable inside options). */
  open(options: Omit<WorkerEngineOptions, 'authorize'>, listener: WorkerEventListener, authorize?: WorkerEngineOptions['authorize']): Promise<{ role: 'leader' | 'follower' }>;
  /** Forwarded from the service worker (see Engine#playbackReport). */
  playbackReport(report: PlaybackReport): Promise<void>;
  /** One end of the page's line to the service worker: the engine's news for readers goes on it too (`ReaderPorts`). */
  connectReader(port: MessagePort): Promise<void>;
  close(): Promise<void>;
}

export function createCacheWorkerApi(): CacheWorkerApi {
  let coordinator: TabCoordinator | undefined;
  let dbName: string | undefined;
  const call = (method: EngineMethod, args: unknown[]) => {
    if (!coordinator) return Promise.reject(Object.assign(new Error('call open() first'), { name: 'invalid-argument' }));
    return coordinator.call(method, args);
  };
  const forward = Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as WorkerEngineMethods;
  return {
    ...forward,
    async open(options, listener, authorize) {
      const resolved = resolveOptions({ ...options, authorize }); // invalid-argument naming the option, before anything starts
      dbName = resolved.dbName;
      coordinator = new TabCoordinator(resolved.dbName, () => openLeadingEngine(resolved), (type, data) => void listener(type, data), {
        locks: (globalThis.navigator as Navigator | undefined)?.locks,
        channel: (name) => new BroadcastChannel(name),
      });
      try {
        await coordinator.start();
      } catch (error) {
        // The engine could not open here (its lock is already released): nothing stays behind.
        await coordinator.close();
        coordinator = undefined;
        throw error;
      }
      return { role: coordinator.role };
    },
    playbackReport: (r) => call('playbackReport', [r]) as Promise<void>,
    async connectReader(port) {
      // Kept whatever this tab's role: its engine uses it from the moment it leads.
      if (dbName !== undefined) readerPorts(dbName).add(port);
      else port.close();
    },
    async close() {
      await coordinator?.close();
      coordinator = undefined;
    },
  };
}
