// The demo: a sample MP3 catalog on a loopback origin, the player page that uses reprise for
// real, and a small admin API for the flaky origin and the "security reset" simulation.
//   npm run demo                      → http://127.0.0.1:<port>/  (stops after 60 minutes or Ctrl-C)
//   PORT=8080 DEMO_MINUTES=10 npm run demo
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bundlePage } from './bundlePage.js';
import { DemoCatalog } from './catalog.js';
import { coverArt } from './coverArt.js';
import { NO_FAULTS, updateFaults, type Faults } from './faults.js';
import { RequestLog } from './RequestLog.js';
import { serveMedia } from './serveMedia.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILES: Record<string, [string, string]> = {
  '/': ['demo/index.html', 'text/html; charset=utf-8'],
  '/style.css': ['demo/style.css', 'text/css'],
  '/reprise/client.js': ['dist/browser/client.js', 'text/javascript'],
  '/reprise/cache-worker.js': ['dist/browser/cache-worker.js', 'text/javascript'],
  '/reprise/service-worker.js': ['dist/browser/service-worker.js', 'text/javascript'],
};

export interface DemoOptions {
  port?: number;
  minutes?: number;
  /** Where the generated MP3 files are cached (default `.tmp/demo-audio`). */
  audioDir?: string;
  /** Where the service's state (keys, epoch, offline records) persists; none: in memory. */
  stateFile?: string;
  log?: (line: string) => void;
}

export async function startDemo({ port = 0, minutes = 60, audioDir = root + '.tmp/demo-audio', stateFile, log }: DemoOptions = {}) {
  const [catalog, page] = await Promise.all([DemoCatalog.create({ audioDir, ...(stateFile ? { stateFile } : {}), ...(log ? { log } : {}) }), bundlePage()]);
  const faults: Faults = { ...NO_FAULTS };
  const requests = new RequestLog();

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) =>
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' }).end(body);
  const json = (res: ServerResponse, value: unknown, status = 200) =>
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(value));
  const body = async (req: IncomingMessage): Promise<unknown> => {
    let text = '';
    for await (const c of req) text += c;
    return text ? JSON.parse(text) : {};
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<unknown> {
    const path = url.pathname;
    const post = req.method === 'POST';
    const file = FILES[path];
    if (file) return send(res, 200, file[1], readFileSync(root + file[0]));
    if (path === '/app.js') return send(res, 200, 'text/javascript', page.app);
    if (path === '/demo-sw.js') return send(res, 200, 'text/javascript', page.sw);
    if (path === '/favicon.ico') return res.writeHead(204).end();
    if (path.startsWith('/cover/')) {
      const p = catalog.playlists().find((x) => `/cover/${x.id}.svg` === path);
      return p ? send(res, 200, 'image/svg+xml', coverArt(p.id, p.name)) : res.writeHead(404).end();
    }
    // What the app build ships with: the manifest URL and the keys it trusts (never taken from the manifest).
    if (path === '/config.json') return json(res, { manifestUrl: '/offline/manifest.jws', trustedKeys: catalog.publicKeys });
    if (path === '/offline/manifest.jws') {
      requests.manifestRequests++;
      if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (faults.manifestDown) return res.writeHead(503, { 'retry-after': '5' }).end();
      return res.writeHead(200, { 'content-type': 'application/jose', 'cache-control': 'no-store' }).end(await catalog.signed());
    }
    const media = /^\/media\/(.+)\.mp3$/.exec(path);
    if (media) return serveMedia(req, res, decodeURIComponent(media[1]!), catalog, faults, requests);

    // The service's records of the listener: offline choices and plays (the manifest carries them).
    const playlist = /^\/api\/playlists\/([^/]+)$/.exec(path);
    if (playlist && post) {
      const { offline } = (await body(req)) as { offline?: unknown };
      if (typeof offline !== 'boolean') return json(res, { error: 'send { "offline": true | false }' }, 400);
      return catalog.setOffline(decodeURIComponent(playlist[1]!), offline) ? json(res, { ok: true }) : json(res, { error: 'no such playlist' }, 404);
    }
    if (path === '/api/played' && post) {
      const { trackId } = (await body(req)) as { trackId?: unknown };
      return typeof trackId === 'string' && catalog.notePlayed(trackId) ? json(res, { ok: true }) : json(res, { error: 'send { "trackId": "<a track id>" }' }, 400);
    }

    if (path === '/admin/state') {
      return json(res, { faults, epoch: catalog.epoch, kid: catalog.signingKid, revoked: catalog.revoked, mediaBytes: requests.bytesTotal, lastSeq: requests.lastSeq, manifestRequests: requests.manifestRequests });
    }
    if (path === '/admin/requests') return json(res, requests.since(Number(url.searchParams.get('since') ?? 0)));
    if (path === '/api/catalog') return json(res, { playlists: catalog.playlists(), tracks: [...catalog.tracks.values()].map(({ body: _, ...t }) => ({ ...t, size: _.length })) });
    if (path === '/admin/faults' && post) {
      const problem = updateFaults(faults, await body(req));
      return problem ? json(res, { error: problem }, 400) : json(res, faults);
    }
    if (path === '/admin/security-reset' && post) return json(res, catalog.securityReset());
    return send(res, 404, 'text/plain', 'not found');
  }

  const server = createServer((req, res) => {
    route(req, res, new URL(req.url ?? '/', 'http://demo')).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Demos stop by themselves: nothing is left running on the machine.
  const timer = setTimeout(() => void stop(), minutes * 60_000);
  timer.unref();
  let stopped: Promise<void> | undefined;
  function stop(): Promise<void> {
    clearTimeout(timer);
    stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  }
  return { url: address, catalog, faults, requests, stop };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const minutes = Number(process.env.DEMO_MINUTES ?? 60);
  try {
    const demo = await startDemo({ port: Number(process.env.PORT ?? 0), minutes, stateFile: root + '.tmp/demo-state.json', log: (line) => console.log(line) });
    console.log(`reprise demo: ${demo.url}  (open it in a browser; stops after ${minutes} minute${minutes === 1 ? "" : "s"}, or Ctrl-C)`);
    process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
