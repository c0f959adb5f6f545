/** Width of one bucket of the meter; samples within it are summed (constant work per piece). */
const BUCKET_MS = 100;

/** Bytes per second over a sliding window, for the `progress` event's rate and ETA. */
export class RateMeter {
  private buckets: { at: number; bytes: number }[] = [];
  private total = 0;

  constructor(private readonly windowMs = 5000) {}

  add(at: number, bytes: number): void {
    const key = at - (at % BUCKET_MS);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === key) last.bytes += bytes;
    else this.buckets.push({ at: key, bytes });
    this.total += bytes;
    this.trim(at);
  }

  rate(now: number): number {
    this.trim(now);
    if (this.buckets.length === 0) return 0;
    const span = Math.max(1000, now - this.buckets[0]!.at);
    return (this.total * 1000) / span;
  }

  private trim(now: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.at < now - this.windowMs) this.total -= this.buckets.shift()!.bytes;
  }
}
