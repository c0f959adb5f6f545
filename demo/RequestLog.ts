/** One media request as the origin saw it. */
export interface MediaRequest {
  seq: number;
  at: number;
  trackId: string;
  /** The `Range` header, if any. */
  range: string | null;
  status: number;
  /** First byte offset of the body sent. */
  start: number;
  /** Body bytes actually written to the socket. */
  bytes: number;
}

/** The origin's media request log (the demo's "fetched again" figures and the browser test read it). */
export class RequestLog {
  private readonly entries: MediaRequest[] = [];
  private seq = 0;
  bytesTotal = 0;
  manifestRequests = 0;

  add(entry: Omit<MediaRequest, 'seq' | 'at' | 'bytes'>): MediaRequest {
    const record = { ...entry, seq: ++this.seq, at: Date.now(), bytes: 0 };
    this.entries.push(record);
    if (this.entries.length > 20_000) this.entries.shift();
    return record;
  }

  sent(record: MediaRequest, bytes: number): void {
    record.bytes += bytes;
    this.bytesTotal += bytes;
  }

  /** Entries after sequence number `seq` (0: all kept). */
  since(seq = 0): MediaRequest[] {
    return this.entries.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }
}
