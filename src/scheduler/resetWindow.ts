/**
 * docs/how-it-works.md "Throttled resync": after a reset, work starts at a uniformly random moment within
 * `resync.windowSeconds`, so a whole user base reset at the same instant reaches the origin
 * spread over the window instead of in the same second. No window → no wait.
 */
export function resetWindowDelayMs(windowSeconds: number | undefined, random: () => number): number {
  if (!windowSeconds || windowSeconds <= 0) return 0;
  return random() * windowSeconds * 1000;
}
