// The demo: a sample catalog on a loopback origin, the page that uses reprise for real, and a
// small admin API for fault injection and "simulate a security reset".
//   npm run demo                      → http://127.0.0.1:<port>/  (stops after 60 minutes or Ctrl-C)
//   PORT=8080 DEMO_MINUTES=10 npm run demo
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import rangeParser from 'range-parser';
import { DemoCatalog } from './catalog.js';

export interface Faults {
  /** Probability that a media response is cut off half-way (a reset connection). */
  dropRate: number;
  /** Probability of a 429 with Retry-After: 2. */
  throttleRate: number;
  /** Probability that a media response has one byte flipped (bad bytes from a CDN). */
  corruptRate: number;
  /** Media bytes per second per response (0 = as fast as possible). */
  bytesPerSecond: number;
  /** The manifest URL answers 503 (the service is unreachable). */
  manifestDown: boolean;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const STATIC: Record<string, [string, string]> = {
  '/': ['demo/index.html', 'text/html; charset=utf-8'],
  '/app.js': ['demo/app.js', 'text/javascript'],
  '/style.css': ['demo/style.css', 'text/css'],
  '/reprise/client.js': ['dist/browser/client.js', 'text/javascript'],
  '/reprise/cache-worker.js': ['dist/browser/cache-worker.js', 'text/javascript'],
  '/sw.js': ['dist/browser/service-worker.js', 'text/javascript'],
};

export async function startDemo({ port = 0, minutes = 60 } = {}) {
  const catalog = await DemoCatalog.create();
  const faults: Faults = { dropRate: 0, throttleRate: 0, corruptRate: 0, bytesPerSecond: 0, manifestDown: false };
  const stats = { mediaRequests: 0, mediaBytes: 0, manifestRequests: 0 };

  const json = (res: ServerResponse, value: unknown, status = 200) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(value));
  const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => resolve(text));
  });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://demo');
    try {
      if (STATIC[url.pathname]) {
        const [file, type] = STATIC[url.pathname]!;
        return res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(readFileSync(root + file));
      }
      if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
      if (url.pathname === '/config.json') return json(res, { manifestUrl: '/offline/manifest.jws', trustedKeys: catalog.publicKeys });
      if (url.pathname === '/offline/manifest.jws') {
        stats.manifestRequests++;
        if (faults.manifestDown) return res.writeHead(503, { 'retry-after': '5' }).end();
        return res.writeHead(200, { 'content-type': 'application/jose', 'cache-control': 'no-store' }).end(await catalog.signed());
      }
      if (url.pathname.startsWith('/media/')) return serveMedia(req, res, url);
      if (url.pathname === '/admin/state') return json(res, { faults, stats, epoch: catalog.epoch, kid: catalog.signingKid, revoked: catalog.revoked });
      if (url.pathname === '/admin/faults' && req.method === 'POST') {
        Object.assign(faults, JSON.parse((await body(req)) || '{}'));
        return json(res, faults);
      }
      if (url.pathname === '/admin/security-reset' && req.method === 'POST') return json(res, catalog.securityReset());
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });

  async function serveMedia(req: IncomingMessage, res: ServerResponse, url: URL) {
    const track = catalog.tracks.get(decodeURIComponent(url.pathname.slice(7)).replace(/\.wav$/, ''));
    if (!track) return res.writeHead(404).end();
    stats.mediaRequests++;
    if (Math.random() < faults.throttleRate) return res.writeHead(429, { 'retry-after': '2' }).end();
    let bytes = track.body;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
    const ranges = req.headers.range ? rangeParser(bytes.length, req.headers.range, { combine: true }) : -2;
    if (ranges === -1) return res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    if (ranges !== -2 && ranges.length === 1) {
      const { start, end } = ranges[0]!;
      headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
      bytes = bytes.subarray(start, end + 1);
      status = 206;
    }
    if (Math.random() < faults.corruptRate) {
      bytes = Buffer.from(bytes);
      bytes[Math.floor(Math.random() * bytes.length)]! ^= 0xff;
    }
    headers['content-length'] = bytes.length;
    res.writeHead(status, headers);
    const cut = Math.random() < faults.dropRate ? Math.floor(bytes.length / 2) : bytes.length;
    const piece = faults.bytesPerSecond ? Math.max(1024, Math.floor(faults.bytesPerSecond / 20)) : bytes.length;
    for (let i = 0; i < cut && !res.destroyed; i += piece) {
      const part = bytes.subarray(i, Math.min(cut, i + piece));
      stats.mediaBytes += part.length;
      res.write(part);
      if (faults.bytesPerSecond) await new Promise((r) => setTimeout(r, 50));
    }
    if (cut < bytes.length) res.destroy();
    else res.end();
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Demos stop by themselves: nothing is left running on the machine.
  const timer = setTimeout(() => void stop(), minutes * 60_000);
  timer.unref();
  async function stop() {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { url: address, catalog, faults, stats, stop };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const minutes = Number(process.env.DEMO_MINUTES ?? 60);
  const demo = await startDemo({ port: Number(process.env.PORT ?? 0), minutes });
  console.log(`reprise demo: ${demo.url}  (open it in a browser; stops after ${minutes} minutes, or Ctrl-C)`);
  process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
}
