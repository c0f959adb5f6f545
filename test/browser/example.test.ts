// The README's promise, end to end: the packed tarball installed into the Vite example, keys and
// a signed manifest made with the package's own CLI over real MP3s (Debian's ffmpeg), sync, a
// playlist kept offline, playback and seeking, then playback after a reload with the server
// stopped (the shell from the example's own service worker, the audio from reprise's store).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect } from 'vitest';
import { TestOrigin } from '../helpers/origin.js';
import { type EnginePage, eachEngine } from './harness.js';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = join(ROOT, 'examples', 'vite-app');
/** Kept between runs (node_modules only changes with the tarball); every step below runs anew. */
const WORK = join(tmpdir(), 'reprise-example-vite-app');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.jws': 'application/jose', '.mp3': 'audio/mpeg', '.css': 'text/css', '.svg': 'image/svg+xml' };


async function sh(command: string, args: string[], cwd = WORK) {
  // The example's scripts find vite in the repository's node_modules (a devDependency here).
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` };
  return exec(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
}

async function serve(dir: string): Promise<TestOrigin> {
  const server = await TestOrigin.start();
  const walk = async (d: string): Promise<string[]> =>
    (await Promise.all((await readdir(d, { withFileTypes: true })).map((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])))).flat();
  for (const file of await walk(dir)) {
    const body = await readFile(file);
    const path = `/${relative(dir, file)}`;
    server.put(path, body, TYPES[extname(file)] ?? 'application/octet-stream');
    if (path === '/index.html') server.put('/', body, TYPES['.html']);
  }
  return server;
}

beforeAll(async () => {
  if (!existsSync('/usr/bin/ffmpeg')) throw new Error('ffmpeg is missing: sudo apt-get install -y ffmpeg (the example test encodes real MP3s)');
  await rm(join(WORK, 'dist'), { recursive: true, force: true });
  for (const f of ['keys', 'public', 'src', 'index.html', 'vite.config.js', 'package.json']) await rm(join(WORK, f), { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  // The example's sources only: what its .gitignore lists (a local run's keys, media, build) stays behind.
  const ignored = (await readFile(join(EXAMPLE, '.gitignore'), 'utf8')).split('\n').map((l) => l.trim().replace(/\/$/, '')).filter(Boolean);
  await cp(EXAMPLE, WORK, { recursive: true, filter: (src) => !ignored.some((p) => relative(EXAMPLE, src) === p || relative(EXAMPLE, src).startsWith(`${p}/`)) });
  // `npm pack` as a user's CI would, without prepack's rebuild: `npm test` built dist/ already.
  const { stdout } = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', WORK], ROOT);
  const tarball = join(WORK, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  await sh('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  await mkdir(join(WORK, 'public', 'media'), { recursive: true });
  for (const [file, hz, title] of [['a4.mp3', 440, 'A four'], ['e5.mp3', 659, 'E five']] as const) {
    await sh('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=20`, '-b:a', '64k', '-metadata', `title=${title}`, '-metadata', 'artist=Test Tones', `public/media/${file}`]);
  }
  await sh('npm', ['run', 'keys']);
  await sh('npm', ['run', 'media']);
  await sh('npm', ['run', 'build']);
}, 180_000);
async function playAndWait(page: EnginePage, trackId: string, beyond: number) {
  await page.click(`button[data-track="${trackId}"]`);
  await page.waitForFunction((t) => { const a = document.querySelector('audio')!; return !a.paused && a.currentTime > t; }, beyond, 15_000);
}

const text = (page: EnginePage, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

eachEngine('examples/vite-app, built from the packed tarball', (suite) => {
  suite.test('syncs, keeps a playlist offline, plays and seeks; after a reload with the server stopped it still plays', { needs: ['serviceWorker'] }, async () => {
    const origin = await serve(join(WORK, 'dist')); // each engine its own origin: the test stops it
    try {
      const page = await suite.browser.newPage();
      await page.goto(`${origin.url}/`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, 20_000);
      expect(await text(page, '#error')).toBe('');
      // The CLI's documented id, and titles and artists from the MP3s' own tags.
      expect(await text(page, '[data-playlist="road-trip"] label')).toMatch(/Road trip — keep offline \(0\/2/);
      expect(await text(page, 'button[data-track="a4"]')).toBe('▶ A four — Test Tones');

      await page.click('[data-playlist="road-trip"] input[type=checkbox]');
      await page.waitForFunction(() => document.querySelector('[data-playlist="road-trip"][data-complete="true"]') !== null, undefined, 20_000);

      await playAndWait(page, 'a4', 0.5);
      await page.evaluate(() => new Promise((resolve) => {
        const audio = document.querySelector('audio')!;
        audio.addEventListener('seeked', resolve, { once: true });
        audio.currentTime = 15;
      }));
      await page.waitForFunction(() => document.querySelector('audio')!.currentTime > 15.3, undefined, 10_000);

      await origin.close();
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, 20_000);
      expect(await text(page, '#error')).toMatch(/offline: playing what is on this device/);
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? '')).toMatch(/\/sw\.js$/);
      await playAndWait(page, 'e5', 0.5);
      expect(await page.errors()).toEqual([]);
    } finally {
      await origin.close().catch(() => {});
    }
  });
});
