import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from './origin.js';

/** The faults a hostile origin (or a broken proxy in front of it) answers with, per request. */
export const FAULT_KINDS = [
  'reset-before-headers',
  'reset-mid-body',
  'truncated',
  'flipped-byte',
  'whole-file-to-range',
  'shifted-content-range',
  '416',
  '429-retry-after-seconds',
  '503-retry-after-date',
  '500',
  'stall',
  'slow-drip',
  'redirect-disallowed',
  'html-200',
  'content-length-longer',
  'trailing-bytes',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const range = (req: IncomingMessage, size: number): [number, number] => {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!m) return [0, size - 1];
  return [Number(m[1]), Math.min(size - 1, m[2] ? Number(m[2]) : size - 1)];
};

export interface HostileOptions {
  /** [0, 1): a seeded PRNG. */
  random: () => number;
  /** Share of requests that get a fault. */
  rate: number;
  /** The disallowed origin a redirect points to. */
  elsewhere: string;
  /** Faults injected, by kind (filled in). */
  injected: Map<FaultKind, number>;
  /** Stall length, past the engine's stallTimeoutMs. */
  stallMs: number;
}

/**
 * A fault hook for TestOrigin: on media requests (`/media/`), answers with a random fault at
 * `rate`, else lets the origin answer. Each log entry gets the fault it carried (`fault`).
 */
export function hostile(o: HostileOptions): Fault {
  return async (req: IncomingMessage, res: ServerResponse, file, origin) => {
    if (!file || !req.url?.startsWith('/media/') || o.random() >= o.rate) return false;
    const kind = FAULT_KINDS[Math.floor(o.random() * FAULT_KINDS.length)]!;
    o.injected.set(kind, (o.injected.get(kind) ?? 0) + 1);
    Object.assign(origin.log.at(-1)!, { fault: kind });
    const [start, end] = range(req, file.length);
    const slice = file.subarray(start, end + 1);
    const partial = (status: number, headers: Record<string, string | number>, body: Buffer) => res.writeHead(status, { 'content-type': 'audio/mpeg', ...headers }).end(body);
    const cr = (s: number, e: number) => `bytes ${s}-${e}/${file.length}`;
    switch (kind) {
      case 'reset-before-headers':
        return (req.socket.destroy(), true);
      case 'reset-mid-body':
        res.writeHead(206, { 'content-range': cr(start, end), 'content-length': slice.length });
        res.write(slice.subarray(0, slice.length >> 1));
        setTimeout(() => res.destroy(), 5);
        return true;
      case 'truncated':
        return (partial(206, { 'content-range': cr(start, end) }, slice.subarray(0, Math.max(1, slice.length - 777))), true);
      case 'flipped-byte': {
        const bad = Buffer.from(slice);
        bad[Math.floor(o.random() * bad.length)]! ^= 0x20;
        return (partial(206, { 'content-range': cr(start, end), 'content-length': bad.length }, bad), true);
      }
      case 'whole-file-to-range':
        return (partial(200, { 'content-length': file.length }, file), true);
      case 'shifted-content-range': {
        const s = Math.min(start + 1, end);
        return (partial(206, { 'content-range': cr(s, end), 'content-length': end - s + 1 }, file.subarray(s, end + 1)), true);
      }
      case '416':
        return (res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end(), true);
      case '429-retry-after-seconds':
        return (res.writeHead(429, { 'retry-after': '1' }).end(), true);
      case '503-retry-after-date':
        return (res.writeHead(503, { 'retry-after': new Date(Date.now() + 1000).toUTCString() }).end(), true);
      case '500':
        return (res.writeHead(500).end('oops'), true);
      case 'stall':
        res.writeHead(206, { 'content-range': cr(start, end), 'content-length': slice.length, 'content-type': 'audio/mpeg' });
        res.write(slice.subarray(0, 100));
        setTimeout(() => res.destroy(), o.stallMs);
        return true;
      case 'slow-drip': {
        res.writeHead(206, { 'content-range': cr(start, end), 'content-length': slice.length, 'content-type': 'audio/mpeg' });
        // Pauses between pieces only: once the last declared byte is written the answer ends, as
        // a server's does (a pause before end() kept it open at the origin after the client had
        // every byte: the soak counted maxConcurrent + 1 there).
        for (let i = 0; i < slice.length && !res.destroyed; i += 4096) {
          if (i > 0) await new Promise((r) => setTimeout(r, 2));
          res.write(slice.subarray(i, i + 4096));
        }
        res.end();
        return true;
      }
      case 'redirect-disallowed':
        return (res.writeHead(302, { location: `${o.elsewhere}${req.url}` }).end(), true);
      case 'html-200':
        return (res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Sign in</title><p>Please sign in'), true);
      case 'content-length-longer':
        res.writeHead(206, { 'content-range': cr(start, end), 'content-length': slice.length + 1000, 'content-type': 'audio/mpeg' });
        res.write(slice);
        setTimeout(() => res.destroy(), 5);
        return true;
      case 'trailing-bytes':
        return (partial(206, { 'content-range': cr(start, end), 'content-length': slice.length + 64 }, Buffer.concat([slice, Buffer.alloc(64, 7)])), true);
    }
  };
}
