import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { chunkListOf } from '../../../src/manifest/contentId.js';
import { type PublicJwk, importTrustedKeys } from '../../../src/manifest/trustedKeys.js';
import { allowedOriginSet } from '../../../src/manifest/trackOrigins.js';
import { fetchChunkList } from '../../../src/manifest/v2/fetchChunkList.js';
import { loadManifest } from '../../../src/manifest/v2/loadManifest.js';
import { bytesOf, chunkDigests } from '../../helpers/catalog.js';

let dir: string;
const lines: string[] = [];
const cli = (...args: string[]) => main(args, (l) => lines.push(l));
const MANIFEST_URL = 'https://music.example/lib/manifest.jws';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-cli2-'));
  await mkdir(join(dir, 'media', 'road'), { recursive: true });
  await writeFile(join(dir, 'media', 'road', 'a.mp3'), bytesOf('a', 300_000));
  await writeFile(join(dir, 'media', 'road', 'b.flac'), bytesOf('b', 70_000));
  await writeFile(join(dir, 'media', 'intro.wav'), bytesOf('c', 5));
  await cli('keys', 'generate', '--kid', 'k2', '--out', join(dir, 'keys'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Serves the files under `root` at MANIFEST_URL's folder. */
const fileFetch = (root: string) =>
  (async (url: string) => {
    try {
      return new Response(new Uint8Array(await readFile(join(root, new URL(url).pathname.replace(/^\/lib\//, '')))));
    } catch {
      return new Response('', { status: 404 });
    }
  }) as unknown as typeof fetch;

describe('reprise manifest build --format 2', () => {
  it('writes a root, parts and chunk lists that load as one catalog', async () => {
    const out = join(dir, 'site');
    const code = await cli(
      'manifest', 'build', join(dir, 'media'), '--format', '2',
      '--base-url', 'media/', '--key', join(dir, 'keys', 'k2.private.jwk'), '--epoch', '4', '--version', '12', '--subject', 'u42',
      '--chunk-size', '64k', '--playlist', 'Road trip=road/*', '--offline', 'Road trip', '--out', join(out, 'manifest.jws'),
    );
    expect(code).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/reprise-manifest\/2, epoch 4, version 12, 3 tracks in 1 parts, 3 chunk lists under index\//));
    expect(lines).toContainEqual(expect.stringMatching(/^  track road-a: /)); // the ids an app passes to trackUrl()
    const pub = JSON.parse(await readFile(join(dir, 'keys', 'k2.public.jwk'), 'utf8')) as PublicJwk;
    const allowed = allowedOriginSet(MANIFEST_URL, []);
    const loaded = await loadManifest({
      manifestUrl: MANIFEST_URL,
      fetch: fileFetch(out),
      allowed,
      verify: { trustedKeys: await importTrustedKeys([pub]), revokedKeyIds: new Set(), minEpoch: 0, now: Date.now() },
    });
    if (loaded.status !== 'accepted') throw new Error('expected a manifest');
    expect(loaded.catalog.header).toMatchObject({ format: 2, securityEpoch: 4, version: 12, subject: 'u42' });
    expect(loaded.catalog.playlists.get('road-trip')).toEqual({ id: 'road-trip', name: 'Road trip', trackIds: ['road-a', 'road-b'], offline: true });
    const a = loaded.catalog.tracks.get('road-a')!;
    expect(a.url).toBe('https://music.example/lib/media/road/a.mp3');
    const { digests } = await fetchChunkList(loaded.catalog.chunkListUrl(a.contentId)!, { ...a.entry, contentId: a.contentId }, { fetch: fileFetch(out), allowed });
    expect(digests).toEqual(chunkDigests(bytesOf('a', 300_000)));
    expect(chunkListOf(digests).byteLength).toBe(5 * 32);
  });

  it('refuses an --out inside the media folder, and a missing --out', async () => {
    const base = ['manifest', 'build', join(dir, 'media'), '--format=2', '--base-url', 'media/', '--key', join(dir, 'keys', 'k2.private.jwk'), '--epoch', '1'];
    await expect(cli(...base, '--out', join(dir, 'media', 'manifest.jws'))).rejects.toMatchObject({ name: 'invalid-argument', details: { path: 'out' } });
    await expect(cli(...base)).rejects.toMatchObject({ name: 'invalid-argument', details: { path: 'out' } });
  });

  // The flags both formats take are read by the same code: the same value means the same, or the same error.
  it.each([
    [['--playlist', 'nameonly'], /--playlist "nameonly" must be NAME=GLOB/],
    [['--playlist', '=road/*'], /must be NAME=GLOB/],
    [['--key', '/nonexistent.jwk'], /cannot read key file "\/nonexistent.jwk": no such file or folder/],
    [['--epoch', 'three'], /--epoch "three" must be a whole number/],
    [['--key', 'PUBKEY'], /is a public key/],
    [['--playlist', 'X=*.nothing'], /matches no file/],
    [['--chunk-size', '100k'], /power of two/],
    [['--chunk-size', 'big'], /--chunk-size "big" is not a size such as 256k or 1m/],
  ])('refuses %j as format 1 does', async (args, message) => {
    const flags = new Map<string, string>([['--key', join(dir, 'keys', 'k2.private.jwk')], ['--epoch', '1']]);
    for (let i = 0; i < args.length; i += 2) flags.set(args[i]!, args[i + 1] === 'PUBKEY' ? join(dir, 'keys', 'k2.public.jwk') : args[i + 1]!);
    const error = await cli('manifest', 'build', join(dir, 'media'), '--format', '2', '--base-url', 'media/', '--out', join(dir, 'refused', 'm.jws'), ...[...flags].flat()).catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
    expect(error.message).toMatch(message);
  });

  it('takes a --chunk-size as format 1 does (256KiB, 1m)', async () => {
    for (const size of ['256KiB', '1m']) {
      const out = join(dir, `size-${size}`, 'manifest.jws');
      const code = await cli('manifest', 'build', join(dir, 'media'), '--format', '2', '--base-url', 'media/', '--key', join(dir, 'keys', 'k2.private.jwk'), '--epoch', '1', '--chunk-size', size, '--out', out);
      expect(code).toBe(0);
    }
  });
});
