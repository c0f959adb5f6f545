import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { importTrustedKeys, publicJwkSchema } from '../manifest/trustedKeys.js';
import { verifyManifest } from '../manifest/verifyManifest.js';
import { type PlaylistSpec, buildManifest } from './buildManifest.js';
import { generateKeys } from './keys.js';
import { isFormat2, manifestBuildV2 } from './manifestBuildV2.js';

export const USAGE = `reprise — build and sign offline manifests

  reprise keys generate [--kid ID] [--out DIR]
      An ES256 key pair as JWKs. With --out, writes DIR/<kid>.private.jwk (mode 600) and
      DIR/<kid>.public.jwk; without, prints both. Ship only the public one in the app.

  reprise manifest build <dir> --base-url URL --key FILE --epoch N [options]
      Hashes every file of <dir> (as a stream) and writes a signed manifest.
      --base-url URL        prefix of track URLs, e.g. "media/" or "https://cdn.example/m/"
      --key FILE            private JWK from \`reprise keys generate\`
      --epoch N             securityEpoch; raise it after a breach
      --chunk-size SIZE     power of two, 64k…8m (default 256k)
      --playlist NAME=GLOB  a playlist of the files matching GLOB (repeatable)
      --offline NAME        mark playlist NAME offline by default (repeatable)
      --revoke KID          add KID to revokedKeyIds (repeatable)
      --expires-in DAYS     set expiresAt
      --window SECONDS      resync.windowSeconds (spread a reset over this window)
      --max-bytes-per-second N, --max-concurrent N   resync hints
      --out FILE            default <dir>/manifest.jws

  reprise manifest verify <file.jws> --key PUBLIC.jwk [--key …]
      Checks the signature and the schema, prints a summary.
`;

function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new RepriseError('invalid-argument', `--chunk-size "${text}" is not a size such as 256k or 1m`, { path: 'chunkSize' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

function parseInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new RepriseError('invalid-argument', `${flag} "${text}" must be a whole number`, { path: flag });
  return Number(text);
}

async function readJwk(file: string): Promise<JsonWebKey & { kid?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new RepriseError('invalid-argument', `cannot read key file "${file}" (${(cause as NodeJS.ErrnoException).code ?? cause})`, { path: 'key' }, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RepriseError('invalid-argument', `key file "${file}" is not JSON (a JWK from \`reprise keys generate\`)`, { path: 'key' }, { cause });
  }
}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if (!group || group === '--help' || group === 'help') {
    out(USAGE);
    return group ? 0 : 2;
  }
  if (group === 'keys' && command === 'generate') {
    const { values } = parseArgs({ args: rest, options: { kid: { type: 'string' }, out: { type: 'string' } } });
    const keys = await generateKeys(values.kid);
    if (!values.out) {
      out(JSON.stringify({ private: keys.privateJwk, public: keys.publicJwk }, null, 2));
      return 0;
    }
    await mkdir(values.out, { recursive: true });
    const privatePath = join(values.out, `${keys.kid}.private.jwk`);
    const publicPath = join(values.out, `${keys.kid}.public.jwk`);
    await writeFile(privatePath, JSON.stringify(keys.privateJwk, null, 2) + '\n', { mode: 0o600 });
    await writeFile(publicPath, JSON.stringify(keys.publicJwk, null, 2) + '\n');
    out(`wrote ${privatePath} (keep secret) and ${publicPath} (give to the app as a trusted key)`);
    return 0;
  }
  if (group === 'manifest' && command === 'build' && isFormat2(rest)) return manifestBuildV2(rest, out);
  if (group === 'manifest' && command === 'build') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        'base-url': { type: 'string' },
        key: { type: 'string' },
        epoch: { type: 'string' },
        'chunk-size': { type: 'string' },
        playlist: { type: 'string', multiple: true },
        offline: { type: 'string', multiple: true },
        revoke: { type: 'string', multiple: true },
        'expires-in': { type: 'string' },
        window: { type: 'string' },
        'max-bytes-per-second': { type: 'string' },
        'max-concurrent': { type: 'string' },
        out: { type: 'string' },
      },
    });
    const dir = positionals[0];
    if (!dir) throw new RepriseError('invalid-argument', 'manifest build needs the media folder: reprise manifest build <dir> …');
    for (const flag of ['base-url', 'key', 'epoch'] as const) {
      if (values[flag] === undefined) throw new RepriseError('invalid-argument', `manifest build needs --${flag}`, { path: flag });
    }
    const offline = new Set(values.offline ?? []);
    const playlists: PlaylistSpec[] = (values.playlist ?? []).map((spec) => {
      const eq = spec.indexOf('=');
      if (eq <= 0 || eq === spec.length - 1) throw new RepriseError('invalid-argument', `--playlist "${spec}" must be NAME=GLOB, e.g. "Road trip=road/*.mp3"`, { path: 'playlist' });
      const name = spec.slice(0, eq);
      return { name, glob: spec.slice(eq + 1), offline: offline.has(name) };
    });
    const unknown = [...offline].filter((name) => !playlists.some((p) => p.name === name));
    if (unknown.length) throw new RepriseError('invalid-argument', `--offline ${unknown.join(', ')}: no --playlist of that name`, { path: 'offline' });
    const window = parseInteger(values.window, '--window');
    const maxBps = parseInteger(values['max-bytes-per-second'], '--max-bytes-per-second');
    const maxConcurrent = parseInteger(values['max-concurrent'], '--max-concurrent');
    const resync = window !== undefined || maxBps !== undefined || maxConcurrent !== undefined
      ? { ...(window !== undefined ? { windowSeconds: window } : {}), ...(maxBps ? { maxBytesPerSecond: maxBps } : {}), ...(maxConcurrent ? { maxConcurrent } : {}) }
      : undefined;
    const days = parseInteger(values['expires-in'], '--expires-in');
    const { jws, manifest } = await buildManifest({
      dir,
      baseUrl: values['base-url']!,
      privateJwk: await readJwk(values.key!),
      epoch: parseInteger(values.epoch, '--epoch')!,
      chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
      playlists,
      revokedKeyIds: values.revoke,
      expiresInSeconds: days ? days * 86400 : undefined,
      resync,
    });
    const file = values.out ?? join(dir, 'manifest.jws');
    await writeFile(file, jws);
    const bytes = manifest.tracks.reduce((n, t) => n + t.size, 0);
    out(`wrote ${file}: epoch ${manifest.securityEpoch}, ${manifest.tracks.length} tracks (${bytes} bytes), ${manifest.playlists.length} playlists`);
    return 0;
  }
  if (group === 'manifest' && command === 'verify') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { key: { type: 'string', multiple: true } } });
    if (!positionals[0] || !values.key?.length) throw new RepriseError('invalid-argument', 'usage: reprise manifest verify <file.jws> --key PUBLIC.jwk');
    const jwks = await Promise.all(values.key.map(readJwk));
    const keys = await importTrustedKeys(jwks.map((k, i) => {
      const parsed = publicJwkSchema.safeParse(k);
      if (!parsed.success) throw new RepriseError('invalid-argument', `--key ${values.key![i]} is not an ES256 public JWK with a kid`, { path: 'key' });
      return parsed.data;
    }));
    const jws = await readFile(positionals[0], 'utf8');
    const { manifest, kid } = await verifyManifest(jws, { trustedKeys: keys, revokedKeyIds: new Set(), minEpoch: 0, now: Date.now() });
    out(`ok: signed by ${kid}, epoch ${manifest.securityEpoch}, ${manifest.tracks.length} tracks, ${manifest.playlists.length} playlists, issued ${manifest.issuedAt}`);
    return 0;
  }
  out(USAGE);
  return 2;
}

export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (isRepriseError(error)) {
      console.error(`reprise: ${error.name}: ${error.message}`);
      process.exitCode = 1;
    } else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`reprise: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}
