/**
 * How late a timer may fire (a busy event loop, a throttled worker) without the bucket losing
 * tokens: a request smaller than the bucket by `rate × TIMER_SLACK_MS` is paid for before the
 * bucket is full, and tokens that accrue meanwhile are kept for the next one.
 */
export const TIMER_SLACK_MS = 20;

/**
 * Largest request, in bytes. Never more than the bucket holds (`burst`, one chunk of the plan's
 * largest size), capped or not: the origin sends at most one bucket beyond the cap, and a
 * response abandoned (a full quota, a pause) costs at most that much. While capped, smaller by
 * the tokens that accrue in {@link TIMER_SLACK_MS} (at most down to a quarter of the bucket), so
 * a late timer does not leave the cap unused: requests pipelined this way reach the cap on
 * average, where requests of a whole bucket fall short by the timers' lateness.
 */
export function requestSize(burst: number, bytesPerSecond: number): number {
  if (!Number.isFinite(bytesPerSecond)) return burst;
  return Math.max(Math.ceil(burst / 4), Math.floor(burst - (bytesPerSecond * TIMER_SLACK_MS) / 1000));
}
