/**
 * How late a timer may fire (a busy event loop, a throttled worker) without the bucket losing
 * tokens: a request smaller than the bucket by `rate × TIMER_SLACK_MS` is paid for before the
 * bucket is full, and tokens that accrue meanwhile are kept for the next one.
 */
export const TIMER_SLACK_MS = 20;

/**
 * Uncapped requests hold this many buckets (1 MiB with 256 KiB chunks): fewer requests keep the
 * CPU per byte of a fast link near a whole-track request's (measured: `npm run bench -- throttle`
 * with REPRISE_BASELINE), and an abandoned attempt (a pause, a full quota) still costs at most
 * two of them at the origin — chunks already verified are kept, not fetched again.
 */
export const UNCAPPED_BUCKETS = 4;

/**
 * Largest request, in bytes. While capped, never more than the bucket holds (`burst`, one chunk
 * of the plan's largest size): the origin sends at most one bucket beyond the cap. Smaller by
 * the tokens that accrue in {@link TIMER_SLACK_MS} (at most down to a quarter of the bucket), so
 * a late timer does not leave the cap unused: requests pipelined this way reach the cap on
 * average, where requests of a whole bucket fall short by the timers' lateness.
 */
export function requestSize(burst: number, bytesPerSecond: number): number {
  if (!Number.isFinite(bytesPerSecond)) return UNCAPPED_BUCKETS * burst;
  return Math.max(Math.ceil(burst / 4), Math.floor(burst - (bytesPerSecond * TIMER_SLACK_MS) / 1000));
}
