// Issue 11: the cap holds on the wire, in Node — the origin counts the body bytes its sockets
// accept per 100 ms. Caps run at once, each in a process of its own against its own origin.
import { describe, expect, it } from 'vitest';
import { nodeWire, nodeWireInChild, WIRE_CHUNK } from '../helpers/wire.js';

const CAPS = [0.5e6, 2e6, 8e6];

describe('the cap on the wire (Node)', () => {
  it('at 0.5, 2 and 8 MB/s over 10 s: no interval over cap × T + one chunk, the average within 5 %, never more than maxConcurrent requests open', async () => {
    const rows = await Promise.all(CAPS.map((cap) => nodeWireInChild(cap)));
    for (const r of rows) console.log(`Node cap ${r.cap / 1e6} MB/s: worst ${(r.worst / 1024).toFixed(1)} KiB over the bound (from slot ${r.worstAt}), average ${(r.average / 1e6).toFixed(3)} MB/s (${(r.error * 100).toFixed(1)} %), ${r.maxOpen} open at most`);
    for (const r of rows) {
      expect({ cap: r.cap, over: r.worst > 0 }).toEqual({ cap: r.cap, over: false });
      expect(r.error, `cap ${r.cap}`).toBeLessThanOrEqual(0.05);
      expect(r.maxOpen).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  it('right after setThrottle() lowers the cap, and with faults (503s, refused Content-Ranges): the bound holds, requests open ≤ maxConcurrent', async () => {
    let n = 0;
    const faults = [
      // Every 6th media request fails: a 503, or a 206 of the asked length whose Content-Range is
      // shifted by one byte (refused and cancelled). Neither sends more than was asked: an origin
      // that does cannot be held to a cap by its client.
      (req: { url?: string; headers: { range?: string } }, res: import('node:http').ServerResponse, file: Buffer | undefined) => {
        if (!req.url!.startsWith('/media/') || ++n % 6 !== 0) return false;
        if (n % 12 === 0) return (res.writeHead(503).end(), true);
        const [, from, to] = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '') ?? [];
        const start = Number(from ?? 0) + 1;
        const end = Math.min(file!.length - 1, Number(to ?? file!.length - 2) + 1);
        res.writeHead(206, { 'content-type': 'audio/mpeg', 'content-range': `bytes ${start}-${end}/${file!.length}`, 'content-length': end - start + 1 });
        res.end(file!.subarray(start, end + 1));
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
