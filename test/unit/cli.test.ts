import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { importTrustedKeys } from '../../src/manifest/trustedKeys.js';
import { verifyManifest } from '../../src/manifest/verifyManifest.js';
import { bytesOf, chunkDigests } from '../helpers/catalog.js';

const run = promisify(execFile);
let dir: string;
const lines: string[] = [];
const cli = (...args: string[]) => main(args, (l) => lines.push(l));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-cli-'));
  await mkdir(join(dir, 'media', 'road'), { recursive: true });
  await writeFile(join(dir, 'media', 'road', 'a.mp3'), bytesOf('a', 300_000));
  await writeFile(join(dir, 'media', 'road', 'b.flac'), bytesOf('b', 70_000));
  await writeFile(join(dir, 'media', 'intro.wav'), bytesOf('c', 5));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reprise keys generate', () => {
  it('writes a private JWK (mode 600) and a public JWK with the same kid', async () => {
    expect(await cli('keys', 'generate', '--kid', 'k-2026-11', '--out', join(dir, 'keys'))).toBe(0);
    const priv = JSON.parse(await readFile(join(dir, 'keys', 'k-2026-11.private.jwk'), 'utf8'));
    const pub = JSON.parse(await readFile(join(dir, 'keys', 'k-2026-11.public.jwk'), 'utf8'));
    expect(priv).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'k-2026-11', alg: 'ES256' });
    expect(priv.d).toBeTypeOf('string');
    expect(pub.d).toBeUndefined();
    expect(pub.kid).toBe('k-2026-11');
    expect((await stat(join(dir, 'keys', 'k-2026-11.private.jwk'))).mode & 0o777).toBe(0o600);
  });
});

describe('reprise manifest build', () => {
  it('hashes every file and signs a manifest the engine verifies', async () => {
    const code = await cli(
      'manifest', 'build', join(dir, 'media'),
      '--base-url', 'media/', '--key', join(dir, 'keys', 'k-2026-11.private.jwk'), '--epoch', '4',
      '--chunk-size', '64k', '--playlist', 'Road trip=road/*', '--playlist', 'Intro=*.wav', '--offline', 'Road trip',
      '--window', '900', '--out', join(dir, 'm.jws'),
    );
    expect(code).toBe(0);
    const pub = JSON.parse(await readFile(join(dir, 'keys', 'k-2026-11.public.jwk'), 'utf8'));
    const { manifest, kid } = await verifyManifest(await readFile(join(dir, 'm.jws'), 'utf8'), {
      trustedKeys: await importTrustedKeys([pub]),
      revokedKeyIds: new Set(),
      minEpoch: 0,
      now: Date.now(),
    });
    expect(kid).toBe('k-2026-11');
    expect(manifest.securityEpoch).toBe(4);
    expect(manifest.resync).toEqual({ windowSeconds: 900 });
    expect(manifest.playlists).toEqual([
      { id: 'Road-trip', name: 'Road trip', trackIds: ['road-a', 'road-b'], offline: true },
      { id: 'Intro', name: 'Intro', trackIds: ['intro'] },
    ]);
    const a = manifest.tracks.find((t) => t.id === 'road-a')!;
    expect(a).toMatchObject({ url: 'media/road/a.mp3', mimeType: 'audio/mpeg', size: 300_000, chunkSize: 65536 });
    expect(a.chunks).toEqual(chunkDigests(bytesOf('a', 300_000), 65536));
    expect(manifest.tracks.find((t) => t.id === 'road-b')!.mimeType).toBe('audio/flac');
  });

  it.each([
    [['manifest', 'build', '/nonexistent/folder', '--base-url', 'm/', '--key', 'KEY', '--epoch', '1'], /does not exist/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', '/nonexistent.jwk', '--epoch', '1'], /cannot read key file/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'PUBKEY', '--epoch', '1'], /is a public key/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'KEY', '--epoch', '1', '--playlist', 'X=road/[ab'], /not a valid glob/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'KEY', '--epoch', '1', '--playlist', 'X=*.nothing'], /matches no file/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'KEY', '--epoch', '1', '--playlist', 'nameonly'], /must be NAME=GLOB/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'KEY', '--epoch', '1', '--chunk-size', '100k'], /power of two/],
    [['manifest', 'build', 'MEDIA', '--base-url', 'm/', '--key', 'KEY', '--epoch', 'three'], /--epoch "three" must be a whole number/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1'], /needs --base-url/],
  ])('refuses %j with a clear error', async (args, message) => {
    const resolved = args.map((a) =>
      a === 'MEDIA' ? join(dir, 'media') : a === 'KEY' ? join(dir, 'keys', 'k-2026-11.private.jwk') : a === 'PUBKEY' ? join(dir, 'keys', 'k-2026-11.public.jwk') : a,
    );
    const error = await cli(...resolved).catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
    expect(error.message).toMatch(message);
  });

  it('runs as the installed bin and exits 1 with the code on error', async () => {
    const bin = join(process.cwd(), 'bin', 'reprise.js');
    const ok = await run('node', [bin, 'manifest', 'verify', join(dir, 'm.jws'), '--key', join(dir, 'keys', 'k-2026-11.public.jwk')]);
    expect(ok.stdout).toMatch(/ok: signed by k-2026-11, epoch 4, 3 tracks/);
    const bad = await run('node', [bin, 'manifest', 'build', '/nonexistent']).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/reprise: invalid-argument: manifest build needs --base-url/);
  });
});
