/**
 * How far one request's answer has come, for the request slots (RequestSlots): when a play needs
 * a slot and none is free, a background request about to end is let end — its slot comes back at
 * once, no byte of it wasted — rather than cut short, which keeps the slot for the close grace.
 * Real time, as the grace: it is the link's pace, which no injected clock decides.
 */
export class RequestProgress {
  private sentAt: number | undefined;
  private received = 0;

  /** `expected`: body bytes the answer should bring (the piece asked; a 200 sets it again). */
  constructor(private expected: number) {}

  /** The request went out. */
  sent(): void {
    this.sentAt ??= performance.now();
  }

  /** The body holds `bytes` to read in all (a 200 to a Range: the file up to the last chunk wanted). */
  expect(bytes: number): void {
    this.expected = bytes;
  }

  /** `bytes` more of the body arrived. */
  add(bytes: number): void {
    this.received += bytes;
  }

  /**
   * Milliseconds until the body should end at the pace it came so far (measured from the
   * request, so the wait for the answer counts: an estimate that errs long); undefined before
   * any of it arrived.
   */
  readonly eta = (): number | undefined => {
    if (this.sentAt === undefined || this.received === 0) return undefined;
    const left = this.expected - this.received;
    if (left <= 0) return 0;
    const elapsed = Math.max(1, performance.now() - this.sentAt);
    return (left * elapsed) / this.received;
  };
}
