import type { IncomingMessage, ServerResponse } from 'node:http';
import rangeParser from 'range-parser';
import type { DemoCatalog } from './catalog.js';
import type { Faults } from './faults.js';
import type { RequestLog } from './RequestLog.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers `GET /media/<id>.mp3` with `Range` support, through the flaky-origin knobs, and logs what it sent. */
export async function serveMedia(req: IncomingMessage, res: ServerResponse, trackId: string, catalog: DemoCatalog, faults: Faults, log: RequestLog): Promise<void> {
  const track = catalog.tracks.get(trackId);
  const range = req.headers.range ?? null;
  if (!track) {
    log.add({ trackId, range, status: 404, start: 0 });
    res.writeHead(404).end();
    return;
  }
  if (faults.latencyMs) await sleep(faults.latencyMs);
  if (Math.random() < faults.throttleRate) {
    log.add({ trackId, range, status: 429, start: 0 });
    res.writeHead(429, { 'retry-after': String(faults.retryAfterSeconds) }).end();
    return;
  }
  if (Math.random() < faults.errorRate) {
    log.add({ trackId, range, status: 503, start: 0 });
    res.writeHead(503).end();
    return;
  }
  let bytes = track.body;
  let status = 200;
  let start = 0;
  const headers: Record<string, string | number> = { 'content-type': 'audio/mpeg', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
  const ranges = range ? rangeParser(bytes.length, range, { combine: true }) : -2;
  if (ranges === -1) {
    log.add({ trackId, range, status: 416, start: 0 });
    res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    return;
  }
  if (ranges !== -2 && ranges.length === 1) {
    const r = ranges[0]!;
    headers['content-range'] = `bytes ${r.start}-${r.end}/${bytes.length}`;
    bytes = bytes.subarray(r.start, r.end + 1);
    start = r.start;
    status = 206;
  }
  if (Math.random() < faults.corruptRate) {
    bytes = Buffer.from(bytes);
    bytes[Math.floor(Math.random() * bytes.length)]! ^= 0xff;
  }
  const entry = log.add({ trackId, range, status, start });
  headers['content-length'] = bytes.length;
  res.writeHead(status, headers);
  const cut = Math.random() < faults.dropRate ? Math.floor(bytes.length / 2) : bytes.length;
  // Paced in 50 ms slices when a bandwidth is set.
  const piece = faults.bytesPerSecond ? Math.max(1024, Math.floor(faults.bytesPerSecond / 20)) : bytes.length;
  for (let i = 0; i < cut && !res.destroyed; i += piece) {
    const part = bytes.subarray(i, Math.min(cut, i + piece));
    log.sent(entry, part.length);
    const drained = res.write(part);
    if (faults.bytesPerSecond) await sleep(50);
    else if (!drained) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
  }
  if (cut < bytes.length) res.destroy();
  else res.end();
}
