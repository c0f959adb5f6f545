/** Per-track download rate over the last few seconds, from the `progress` events' `bytesDone`. */
export class TrackRates {
  private readonly samples = new Map<string, { at: number; bytes: number }[]>();

  add(trackId: string, bytesDone: number, at = performance.now()): void {
    let list = this.samples.get(trackId) ?? [];
    // Fewer bytes than before (a reset found damage, a new version): a new series, not a negative rate.
    if (list.length > 0 && bytesDone < list[list.length - 1]!.bytes) list = [];
    list.push({ at, bytes: bytesDone });
    while (list.length > 2 && at - list[0]!.at > 3000) list.shift();
    this.samples.set(trackId, list);
  }

  /** Bytes per second, or null while there is too little to tell (or nothing for 3 s). */
  rate(trackId: string, now = performance.now()): number | null {
    const list = this.samples.get(trackId);
    if (!list || list.length < 2 || now - list[list.length - 1]!.at > 3000) return null;
    const [a, b] = [list[0]!, list[list.length - 1]!];
    return b.at > a.at ? ((b.bytes - a.bytes) * 1000) / (b.at - a.at) : null;
  }
}
