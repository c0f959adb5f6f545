import type { Clock } from '../util/clock.js';
import { bucketCapacity } from './requestSize.js';
import { RequestSlots } from './RequestSlots.js';
import type { ThrottleSettings } from './SchedulerHooks.js';
import { TokenBucket } from './TokenBucket.js';

/**
 * The throttle every download shares (DESIGN.md "Throttled resync"): `maxConcurrent` request
 * slots and a token bucket that pays for bytes before they are asked for, sized by
 * {@link bucketCapacity} from the plan's largest chunk.
 */
export class RequestThrottle {
  readonly bucket: TokenBucket;
  /** Requests open at the origin: at most `maxConcurrent`, over every download. */
  readonly slots: RequestSlots;
  private current: ThrottleSettings;

  constructor(
    clock: Clock,
    settings: ThrottleSettings,
    /** The plan's largest chunk: what the bucket is sized from. */
    private chunkSize: number,
  ) {
    this.current = { ...settings };
    this.bucket = new TokenBucket(clock, settings.bytesPerSecond, bucketCapacity(chunkSize, settings.bytesPerSecond));
    this.slots = new RequestSlots(settings.maxConcurrent);
  }

  get settings(): ThrottleSettings {
    return { ...this.current };
  }

  get maxConcurrent(): number {
    return this.current.maxConcurrent;
  }

  /** A new plan's largest chunk (unchanged when not given): the bucket holds one. */
  setChunkSize(chunkSize: number | undefined): void {
    if (chunkSize) this.chunkSize = chunkSize;
    this.bucket.setCapacity(bucketCapacity(this.chunkSize, this.current.bytesPerSecond));
  }

  /** Takes effect at once; true when a cap was set where there was none (requests sized for no cap must stop). */
  set(settings: ThrottleSettings): boolean {
    const capsNow = !Number.isFinite(this.current.bytesPerSecond) && Number.isFinite(settings.bytesPerSecond);
    this.current = { ...settings };
    this.bucket.setRate(settings.bytesPerSecond);
    this.setChunkSize(undefined);
    this.slots.setLimit(settings.maxConcurrent);
    return capsNow;
  }
}
