import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const FFMPEG = process.env.FFMPEG_PATH ?? '/usr/bin/ffmpeg';

/** Tests that need a binary never skip: they fail and say how to install it. */
export function assertBinary(path: string, aptPackage: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing. Install it: sudo apt-get install -y ${aptPackage}`);
}

/** A loopback port that was free a moment ago (nginx cannot listen on port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves when the port accepts a connection; rejects when nginx exits first. */
async function listening(port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`nginx exited before listening:\n${await log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Nginx {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx on 127.0.0.1 with its own config in a temp prefix: `etag on`, static
 * files from `files` (path → bytes) under their paths, every other path proxied to `proxyTo`.
 * One process (no master), stopped by its pid; the prefix is removed.
 */
export async function startNginx(files: Record<string, Buffer>, proxyTo: string): Promise<Nginx> {
  assertBinary(NGINX, 'nginx-light');
  const prefix = await mkdtemp(join(tmpdir(), 'reprise-nginx-'));
  const root = join(prefix, 'root');
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), body);
  }
  const locations = Object.keys(files).map((path) => `    location = ${path} { }`).join('\n');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
    const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 128; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  etag on;
  server {
    listen 127.0.0.1:${port};
    root ${root};
${locations}
    location / { proxy_pass ${proxyTo}; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
    await writeFile(join(prefix, 'nginx.conf'), conf);
    const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], { stdio: 'ignore' });
    const log = () => readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
    try {
      await listening(port, child, log);
    } catch (error) {
      if (attempt < 3 && /Address already in use/.test(await log())) continue;
      await rm(prefix, { recursive: true, force: true });
      throw error;
    }
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid!,
      async stop() {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
        await rm(prefix, { recursive: true, force: true });
      },
    };
  }
}

/** A real MP3 (a 440 Hz tone, mono, 128 kbit/s) made by Debian's ffmpeg: `seconds` 10 is ~160 kB. */
export async function makeMp3(seconds = 10): Promise<Buffer> {
  assertBinary(FFMPEG, 'ffmpeg');
  const dir = await mkdtemp(join(tmpdir(), 'reprise-mp3-'));
  try {
    const out = join(dir, 'tone.mp3');
    execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-ac', '1', '-b:a', '128k', out]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
