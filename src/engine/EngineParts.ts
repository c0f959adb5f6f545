import type { Scheduler } from '../scheduler/Scheduler.js';
import type { Store } from '../store/Store.js';
import type { AuditRunner } from './AuditRunner.js';
import type { ChunkListKeeper } from './ChunkListKeeper.js';
import type { DownloadRecorder } from './DownloadRecorder.js';
import type { Emitter } from './Emitter.js';
import type { Inventory } from './Inventory.js';
import type { ManifestRetry } from './ManifestRetry.js';
import type { ResolvedOptions } from './options.js';
import type { PlaybackService } from './PlaybackService.js';
import type { Planner } from './Planner.js';
import type { StateReporter } from './StateReporter.js';
import type { StorageBudget } from './StorageBudget.js';
import type { TrustState } from './TrustState.js';
import type { CacheEvents } from './types.js';

/** The engine's modules, wired once by the Engine facade, for the operations that use several. */
export interface EngineParts {
  opts: ResolvedOptions;
  store: Store;
  events: Emitter<CacheEvents>;
  trust: TrustState;
  inventory: Inventory;
  audits: AuditRunner;
  planner: Planner;
  recorder: DownloadRecorder;
  budget: StorageBudget;
  playback: PlaybackService;
  state: StateReporter;
  scheduler: Scheduler;
  retry: ManifestRetry;
  chunkLists: ChunkListKeeper;
  /** App throttle settings, lowered (never raised) by the manifest's `resync` hints, given to the scheduler. */
  applyThrottle(): void;
}
