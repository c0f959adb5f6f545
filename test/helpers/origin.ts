import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import rangeParser from 'range-parser';

/** Ports the origins of this process had (see TestOrigin.start). */
const usedPorts = new Set<number>();

export interface OriginRequest {
  path: string;
  range: string | undefined;
  /** Body bytes the origin sent. */
  bytes: number;
  /** When the request arrived (`performance.now()` of the test process). */
  at: number;
}

/**
 * Decides what to do with a request before the default file handler: return true when it
 * answered (fault injection), false to let the default answer.
 */
export type Fault = (req: IncomingMessage, res: ServerResponse, file: Buffer | undefined, origin: TestOrigin) => boolean | Promise<boolean>;

/** The callback among a write()'s or end()'s arguments: a fault's own (one that closes the response once its bytes are out) still runs after the byte count. */
const callbackOf = (args: unknown[]) => args.find((a): a is (error?: Error | null) => void => typeof a === 'function');

/**
 * A loopback HTTP origin on 127.0.0.1 and a port the OS picks: serves in-memory files with
 * Range support, logs every request, counts requests in flight, and lets a test inject faults.
 */
export class TestOrigin {
  readonly files = new Map<string, { body: Buffer; type: string }>();
  readonly log: OriginRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Requests under /media/ open now, and the most ever open at once (the page, bundles and manifest left out). */
  mediaInFlight = 0;
  maxMediaInFlight = 0;
  faults: Fault[] = [];
  /**
   * Body bytes the origin's sockets accepted (the kernel took them: each write's callback), per
   * 100 ms since the origin started: what went on the wire, whatever a client reads ahead.
   */
  readonly wire: number[] = [];
  private readonly started = performance.now();
  /** When set, bodies are written in pieces of this size with this pause between them. */
  pace: { bytes: number; everyMs: number } | undefined;
  private server!: Server;
  url = '';

  /**
   * A new origin on a port this process has not used before: a browser keeps each origin's
   * storage and service worker for its whole run, so a port the system gives again (likely over
   * a few hundred origins) would bring the storage of an earlier test's origin along.
   */
  static async start(): Promise<TestOrigin> {
    const taken: TestOrigin[] = [];
    try {
      for (;;) {
        const origin = new TestOrigin();
        origin.server = createServer((req, res) => void origin.handle(req, res));
        // Connections stay open between requests, as at a CDN (Node's fetch closes a connection
        // after each response when the keep-alive timeout is 2 s or less); close() ends them all.
        origin.server.keepAliveTimeout = 5000;
        await new Promise<void>((resolve) => origin.server.listen(0, '127.0.0.1', resolve));
        const { port } = origin.server.address() as AddressInfo;
        origin.url = `http://127.0.0.1:${port}`;
        if (!usedPorts.has(port)) {
          usedPorts.add(port);
          return origin;
        }
        console.info(`test origin: port ${port} came again; another is taken (a browser keeps that origin's storage)`);
        taken.push(origin); // held open meanwhile, so that the system gives another port
      }
    } finally {
      await Promise.all(taken.map((o) => o.close()));
    }
  }

  put(path: string, body: Buffer | Uint8Array | string, type = 'audio/mpeg'): void {
    this.files.set(path, { body: Buffer.from(body as Uint8Array), type });
  }

  requestsFor(path: string): OriginRequest[] {
    return this.log.filter((r) => r.path === path);
  }

  /**
   * Chunk indices the requests for `path` asked for, in order (a request without Range asks for
   * the whole file): downloads ask in pieces, so tests count chunks rather than requests.
   */
  chunksAsked(path: string, chunkSize: number, fromRequest = 0): number[] {
    const size = this.files.get(path)?.body.length ?? 0;
    return this.requestsFor(path).slice(fromRequest).flatMap((r) => {
      const m = /bytes=(\d+)-(\d*)/.exec(r.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const end = m && m[2] ? Number(m[2]) : size - 1;
      const out: number[] = [];
      for (let i = Math.floor(start / chunkSize); i * chunkSize <= end; i++) out.push(i);
      return out;
    });
  }

  bytesSent(prefix = ''): number {
    return this.log.filter((r) => r.path.startsWith(prefix)).reduce((n, r) => n + r.bytes, 0);
  }

  private accepted(bytes: number): void {
    const slot = Math.floor((performance.now() - this.started) / 100);
    while (this.wire.length <= slot) this.wire.push(0);
    this.wire[slot]! += bytes;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const entry: OriginRequest = { path, range: req.headers.range, bytes: 0, at: performance.now() };
    this.log.push(entry);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (path.startsWith('/media/')) {
      this.mediaInFlight++;
      this.maxMediaInFlight = Math.max(this.maxMediaInFlight, this.mediaInFlight);
      res.on('close', () => this.mediaInFlight--);
    }
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer, ...rest: unknown[]) => {
      entry.bytes += chunk.length;
      const n = Buffer.byteLength(chunk);
      const callback = callbackOf(rest);
      return write(chunk, (error?: Error | null) => (this.accepted(n), callback?.(error)));
    }) as typeof res.write;
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') {
        const n = Buffer.byteLength(chunk as Buffer);
        entry.bytes += n;
        const callback = callbackOf(rest);
        return end(chunk as Buffer, () => (this.accepted(n), callback?.()));
      }
      return end(chunk as Buffer, ...(rest as never[]));
    }) as typeof res.end;
    const file = this.files.get(path);
    for (const fault of this.faults) if (await fault(req, res, file?.body, this)) return;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    await this.serve(req, res, file.body, file.type);
  }

  /** The default answer: 200, or 206 for one satisfiable range, 416 otherwise (RFC 9110 §14). */
  async serve(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string): Promise<void> {
    let start = 0;
    let end = body.length - 1;
    const header = req.headers.range;
    if (header) {
      const ranges = rangeParser(body.length, header, { combine: true });
      if (ranges === -1) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      if (ranges !== -2 && ranges.length === 1) {
        start = ranges[0]!.start;
        end = ranges[0]!.end;
        res.writeHead(206, { 'content-type': type, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}`, 'accept-ranges': 'bytes' });
        await this.sendBody(res, body.subarray(start, end + 1));
        return;
      }
    }
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'accept-ranges': 'bytes' });
    await this.sendBody(res, body);
  }

  async sendBody(res: ServerResponse, bytes: Buffer): Promise<void> {
    const pace = this.pace;
    if (!pace) {
      res.end(bytes);
      return;
    }
    // The last piece ends the response: a client that has every byte may start its next request.
    let i = 0;
    for (; i + pace.bytes < bytes.length && !res.destroyed; i += pace.bytes) {
      res.write(bytes.subarray(i, i + pace.bytes));
      await new Promise((r) => setTimeout(r, pace.everyMs));
    }
    res.end(res.destroyed ? undefined : bytes.subarray(i));
  }
}
