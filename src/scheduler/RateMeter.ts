/** Bytes per second over a sliding window, for the `progress` event's rate and ETA. */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];
  private total = 0;

  constructor(private readonly windowMs = 5000) {}

  add(at: number, bytes: number): void {
    this.samples.push({ at, bytes });
    this.total += bytes;
    this.trim(at);
  }

  rate(now: number): number {
    this.trim(now);
    if (this.samples.length === 0) return 0;
    const span = Math.max(1000, now - this.samples[0]!.at);
    return (this.total * 1000) / span;
  }

  private trim(now: number): void {
    while (this.samples.length > 0 && this.samples[0]!.at < now - this.windowMs) this.total -= this.samples.shift()!.bytes;
  }
}
