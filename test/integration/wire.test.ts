// Issue 11: the cap holds on the wire, in Node — the origin counts the body bytes its sockets
// accept per 100 ms. Caps run at once (each against its own origin) to keep the file short.
import { describe, expect, it } from 'vitest';
import { nodeWire, WIRE_CHUNK } from '../helpers/wire.js';

const CAPS = [0.5e6, 2e6, 8e6];

describe('the cap on the wire (Node)', () => {
  it('at 0.5, 2 and 8 MB/s over 10 s: no interval over cap × T + one chunk, the average within 5 %, never more than maxConcurrent requests open', async () => {
    const rows = await Promise.all(CAPS.map((cap) => nodeWire(cap)));
    for (const r of rows) console.log(`Node cap ${r.cap / 1e6} MB/s: worst ${(r.worst / 1024).toFixed(1)} KiB over the bound, average ${(r.average / 1e6).toFixed(3)} MB/s (${(r.error * 100).toFixed(1)} %), ${r.maxOpen} open at most`);
    for (const r of rows) {
      expect({ cap: r.cap, over: r.worst > 0 }).toEqual({ cap: r.cap, over: false });
      expect(r.error, `cap ${r.cap}`).toBeLessThanOrEqual(0.05);
      expect(r.maxOpen).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  it('right after setThrottle() lowers the cap, and with faults (503s, refused Content-Ranges): the bound holds, requests open ≤ maxConcurrent', async () => {
    let n = 0;
    const faults = [
      // Every 6th media request fails: a 503, or a 206 whose Content-Range is shifted (refused and cancelled).
      (req: { url?: string; headers: { range?: string } }, res: import('node:http').ServerResponse, file: Buffer | undefined) => {
        if (!req.url!.startsWith('/media/') || ++n % 6 !== 0) return false;
        if (n % 12 === 0) return (res.writeHead(503).end(), true);
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0) + 1;
        res.writeHead(206, { 'content-type': 'audio/mpeg', 'content-range': `bytes ${start}-${file!.length - 1}/${file!.length}`, 'content-length': file!.length - start });
        res.end(file!.subarray(start));
        return true;
      },
    ];
    const [lowered, faulty] = await Promise.all([nodeWire(8e6, { lowerTo: 1e6, seconds: 5 }), nodeWire(2e6, { seconds: 5, faults })]);
    console.log(`after setThrottle 8 → 1 MB/s: worst ${(lowered.worst / 1024).toFixed(1)} KiB over the bound, average ${(lowered.average / 1e6).toFixed(3)} MB/s; with faults at 2 MB/s: worst ${(faulty.worst / 1024).toFixed(1)} KiB, ${faulty.maxOpen} open at most`);
    expect(lowered.worst).toBeLessThanOrEqual(0);
    expect(faulty.worst).toBeLessThanOrEqual(0);
    expect(lowered.maxOpen).toBeLessThanOrEqual(3);
    expect(faulty.maxOpen).toBeLessThanOrEqual(3);
    expect(WIRE_CHUNK).toBe(256 * 1024);
  }, 60_000);
});
