import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeys } from '../../../../src/cli/keys.js';
import { main } from '../../../../src/cli/main.js';
import { importTrustedKeys } from '../../../../src/manifest/trustedKeys.js';
import { verifyManifest } from '../../../../src/manifest/verifyManifest.js';
import { bytesOf, chunkDigests } from '../../../helpers/catalog.js';
import { makeWav } from '../../../helpers/wav.js';

let dir: string;
let pub: JsonWebKey;
const lines: string[] = [];
const cli = (...args: string[]) => main(args, (l) => lines.push(l));
const key = () => join(dir, 'keys', 'k1.private.jwk');

/** A WAV file with a RIFF INFO list: INAM (title) and IART (artist), as tag editors write them. */
function taggedWav(seconds: number, title: string, artist: string): Buffer {
  const field = (id: string, text: string) => {
    const body = Buffer.from(`${text}\0`, 'latin1'); // RIFF INFO text is Latin-1
    const padded = Buffer.concat([body, Buffer.alloc(body.length % 2)]);
    const head = Buffer.alloc(8);
    head.write(id, 0);
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, padded]);
  };
  const info = Buffer.concat([Buffer.from('INFO'), field('INAM', title), field('IART', artist)]);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.alloc(4), info]);
  list.writeUInt32LE(info.length, 4);
  const wav = Buffer.concat([makeWav(seconds), list]);
  wav.writeUInt32LE(wav.length - 8, 4);
  return wav;
}

async function verified(file: string) {
  return verifyManifest(await readFile(file, 'utf8'), { trustedKeys: await importTrustedKeys([pub as never]), revokedKeyIds: new Set(), minEpoch: 0, now: Date.now() });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-cli-'));
  await mkdir(join(dir, 'media', 'road'), { recursive: true });
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'media', 'road', 'a.mp3'), bytesOf('a', 300_000));
  await writeFile(join(dir, 'media', 'road', 'b.flac'), bytesOf('b', 70_000));
  await writeFile(join(dir, 'media', 'intro.wav'), taggedWav(1.5, 'Überture', 'The Testers'));
  const keys = await generateKeys('k1');
  pub = keys.publicJwk;
  await writeFile(key(), JSON.stringify(keys.privateJwk));
  await writeFile(join(dir, 'keys', 'k1.public.jwk'), JSON.stringify(keys.publicJwk));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reprise manifest build', () => {
  it('hashes every file, names ids by the documented rule, and signs a manifest the engine verifies', async () => {
    const code = await cli(
      'manifest', 'build', join(dir, 'media'), '--key', key(), '--epoch', '4', '--chunk-size', '64k',
      '--playlist', 'Road trip=road/*', '--playlist', 'Intro=*.wav', '--offline', 'Road trip', '--window', '900', '--out', join(dir, 'm.jws'),
    );
    expect(code).toBe(0);
    const { manifest, kid } = await verified(join(dir, 'm.jws'));
    expect(kid).toBe('k1');
    expect(manifest.securityEpoch).toBe(4);
    expect(manifest.resync).toEqual({ windowSeconds: 900 });
    expect(manifest.playlists).toEqual([
      { id: 'road-trip', name: 'Road trip', trackIds: ['road-a', 'road-b'], offline: true },
      { id: 'intro', name: 'Intro', trackIds: ['intro'] },
    ]);
    const a = manifest.tracks.find((t) => t.id === 'road-a')!;
    // The manifest is written next to (not into) the media folder: URLs start with its name.
    expect(a).toMatchObject({ url: 'media/road/a.mp3', mimeType: 'audio/mpeg', size: 300_000, chunkSize: 65536, title: 'a' });
    expect(a.chunks).toEqual(chunkDigests(bytesOf('a', 300_000), 65536));
    expect(manifest.tracks.find((t) => t.id === 'road-b')!.mimeType).toBe('audio/flac');
  });

  it('prints the id it gave each track, so that an app knows what to pass to trackUrl()', async () => {
    lines.length = 0;
    expect(await cli('manifest', 'build', join(dir, 'media'), '--key', key(), '--epoch', '1', '--playlist', 'Road trip=road/*', '--out', join(dir, 'ids.jws'))).toBe(0);
    expect(lines).toContain('  track intro: media/intro.wav');
    expect(lines).toContain('  track road-a: media/road/a.mp3');
    expect(lines).toContain('  track road-b: media/road/b.flac');
  });

  it('prints the first 20 track ids of a large folder and says how many more there are', async () => {
    const big = join(dir, 'big');
    await mkdir(join(big, 'm'), { recursive: true });
    for (let i = 0; i < 23; i++) await writeFile(join(big, 'm', `song ${String(i).padStart(2, '0')}.mp3`), bytesOf(`s${i}`, 1000));
    lines.length = 0;
    expect(await cli('manifest', 'build', join(big, 'm'), '--key', key(), '--epoch', '1', '--out', join(big, 'm.jws'))).toBe(0);
    const printed = lines.filter((l) => /^  track [^ ]+: /.test(l) && !l.startsWith('  track URLs'));
    expect(printed).toHaveLength(20);
    expect(printed[0]).toBe('  track song-00: m/song 00.mp3');
    expect(lines).toContain('  … and 3 more tracks (each id is the file\'s path without its extension, by the id rule in docs/how-it-works.md)');
  });

  it('takes title, artist and duration from the file\'s tags', async () => {
    await cli('manifest', 'build', join(dir, 'media'), '--key', key(), '--epoch', '1', '--out', join(dir, 'tags.jws'));
    const { manifest } = await verified(join(dir, 'tags.jws'));
    expect(manifest.tracks.find((t) => t.id === 'intro')).toMatchObject({ title: 'Überture', artist: 'The Testers', durationSeconds: 1.5 });
    // Without tags: the file name is the title, nothing is made up.
    const b = manifest.tracks.find((t) => t.id === 'road-b')!;
    expect(b.title).toBe('b');
    expect(b.artist).toBeUndefined();
  });

  it('by default writes <dir>/manifest.jws with track URLs relative to it: no doubled folder', async () => {
    expect(await cli('manifest', 'build', join(dir, 'media'), '--key', key(), '--epoch', '1')).toBe(0);
    const { manifest } = await verified(join(dir, 'media', 'manifest.jws'));
    expect(manifest.tracks.map((t) => t.url)).toEqual(['intro.wav', 'road/a.mp3', 'road/b.flac']);
    // The manifest itself is not a track of the next build.
    expect(await cli('manifest', 'build', join(dir, 'media'), '--key', key(), '--epoch', '1')).toBe(0);
    expect((await verified(join(dir, 'media', 'manifest.jws'))).manifest.tracks).toHaveLength(3);
  });

  it('refuses a relative --base-url that does not lead from the manifest to the media folder, naming the one that does', async () => {
    const error = await cli('manifest', 'build', join(dir, 'media'), '--base-url', 'media/', '--key', key(), '--epoch', '1').catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument', details: { path: 'base-url' } });
    expect(error.message).toMatch(/Leave --base-url out \(here it would be ""\)/);
    expect(await cli('manifest', 'build', join(dir, 'media'), '--base-url', 'https://cdn.example/m/', '--key', key(), '--epoch', '1', '--out', join(dir, 'cdn.jws'))).toBe(0);
    expect((await verified(join(dir, 'cdn.jws'))).manifest.tracks[0]!.url).toBe('https://cdn.example/m/intro.wav');
  });

  it.each([
    [['manifest', 'build', '/nonexistent/folder', '--key', 'KEY', '--epoch', '1'], /does not exist/],
    [['manifest', 'build', 'MEDIA', '--key', '/nonexistent.jwk', '--epoch', '1'], /cannot read key file "\/nonexistent.jwk": no such file or folder/],
    [['manifest', 'build', 'MEDIA', '--key', 'PUBKEY', '--epoch', '1'], /is a public key/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--playlist', 'X=road/[ab'], /not a valid glob/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--playlist', 'X=*.nothing'], /matches no file/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--playlist', 'nameonly'], /must be NAME=GLOB/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--playlist', 'Road trip=*', '--playlist', 'road TRIP=*'], /has the id "road-trip" of an earlier --playlist/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--chunk-size', '100k'], /power of two/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', 'three'], /--epoch "three" must be a whole number/],
    [['manifest', 'build', 'MEDIA', '--epoch', '1'], /needs --key/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--out', 'DIR'], /--out ".*" is a folder; give the manifest's file name/],
    [['manifest', 'build', 'MEDIA', '--key', 'KEY', '--epoch', '1', '--out', '/proc/m.jws'], /cannot write the manifest to "\/proc\/m.jws": no such file or folder \(--out\)/],
  ])('refuses %j with a clear error', async (args, message) => {
    const paths: Record<string, string> = { MEDIA: join(dir, 'media'), KEY: key(), PUBKEY: join(dir, 'keys', 'k1.public.jwk'), DIR: dir };
    const error = await cli(...args.map((a) => paths[a] ?? a)).catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
    expect(error.message).toMatch(message);
  });
});
