/**
 * How late a timer may fire (a busy event loop, a throttled worker) without the bucket losing
 * tokens: a capped request is smaller than the bucket by what the cap pays in this time, so it
 * is paid for before the bucket is full and tokens that accrue meanwhile are kept.
 */
export const TIMER_SLACK_MS = 15;

/**
 * How much later than its payment a request may reach the origin (a busy event loop, a browser's
 * network process) without breaking the bound: the bucket holds one chunk less what the cap pays
 * in this time, so two requests bunched by that much still fit `cap × T + one chunk`.
 */
export const SEND_JITTER_MS = 20;

/**
 * How much later than their payment a sync's first requests may reach the origin — they also wait
 * for their connections — without breaking the bound: a capped bucket starts this much of the cap
 * short of full (empty at high caps), so the first request waits at most this long for its tokens.
 */
export const START_JITTER_MS = 50;

/**
 * A capped bucket with no take granted for this long starts again as a new one does
 * ({@link START_JITTER_MS} short of full): the next requests are a new sync's or a resume's, on
 * connections that may have closed meanwhile. A running download asks again as soon as an answer
 * ends, well within this; where answers take longer (a link slower than the cap, which then does
 * not bind) the restart costs a take at most START_JITTER_MS.
 */
export const RESTART_AFTER_MS = 1000;

/**
 * Uncapped requests hold this many buckets (1 MiB with 256 KiB chunks): fewer requests keep the
 * CPU per byte of a fast link near a whole-track request's (measured: `npm run bench -- throttle`
 * with REPRISE_BASELINE), and an abandoned attempt (a pause, a full quota) still costs at most
 * two of them at the origin — chunks already verified are kept, not fetched again.
 */
export const UNCAPPED_BUCKETS = 4;

/**
 * The token bucket's capacity for a plan whose largest chunk is `chunk` (DESIGN.md "Throttled
 * resync": the origin sends at most `cap × T + one chunk`): one chunk, less {@link SEND_JITTER_MS}
 * of the cap and at least a quarter chunk (the first requests also wait for their connections),
 * at most down to half a chunk. Uncapped: one chunk.
 */
export function bucketCapacity(chunk: number, bytesPerSecond: number): number {
  if (!Number.isFinite(bytesPerSecond)) return chunk;
  const margin = Math.max(chunk / 4, (bytesPerSecond * SEND_JITTER_MS) / 1000);
  return Math.max(Math.ceil(chunk / 2), Math.floor(chunk - margin));
}

/**
 * Largest request, in bytes, for a bucket of `burst` bytes. While capped, never more than the
 * bucket holds, less {@link TIMER_SLACK_MS} of the cap (at most down to half of it: more
 * requests cost more than the tokens they save), so a
 * late timer does not leave the cap unused: requests pipelined this way reach the cap on
 * average, where requests of a whole bucket fall short by the timers' lateness. Uncapped:
 * {@link UNCAPPED_BUCKETS} buckets.
 */
export function requestSize(burst: number, bytesPerSecond: number): number {
  if (!Number.isFinite(bytesPerSecond)) return UNCAPPED_BUCKETS * burst;
  return Math.max(Math.ceil(burst / 2), Math.floor(burst - (bytesPerSecond * TIMER_SLACK_MS) / 1000));
}
