import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILD_FLAGS } from '../buildFlags.js';
import { RepriseError } from '../../errors/RepriseError.js';
import { resolveBaseUrl } from '../baseUrl.js';
import { buildManifest } from '../buildManifest.js';
import { fileError } from '../cliError.js';
import { parseInteger, parsePlaylists, parseSize, readJwk } from '../parseFlags.js';
import { printIds } from '../printIds.js';

export const MANIFEST_BUILD_USAGE = `  reprise manifest build <dir> --key FILE --epoch N [--format 1] [options]
      Hashes every file of <dir> (as a stream), reads titles, artists and durations from the
      files' tags, and writes a signed manifest.
      --key FILE            private JWK from \`reprise keys generate\`
      --epoch N             securityEpoch; raise it after a breach
      --out FILE            where to write the manifest (default <dir>/manifest.jws)
      --base-url URL        prefix of track URLs. Default: <dir> as seen from the manifest's
                            folder ("" when the manifest is in <dir>). A relative URL must name
                            <dir> from there; absolute ones (https://cdn.example/m/) are kept.
      --chunk-size SIZE     power of two, 64k…8m (default 256k)
      --playlist NAME=GLOB  a playlist of the files matching GLOB (repeatable); its id is NAME
                            in lower case with other characters as "-": "Road trip" → road-trip
      --offline NAME        mark playlist NAME offline by default (repeatable)
      --revoke KID          add KID to revokedKeyIds (repeatable)
      --expires-in DAYS     set expiresAt
      --window SECONDS      resync.windowSeconds (spread a reset over this window)
      --max-bytes-per-second N, --max-concurrent N   resync hints`;

export async function manifestBuild(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...BUILD_FLAGS,
    },
  });
  if (values.format !== undefined && values.format !== '1') {
    throw new RepriseError('invalid-argument', `--format ${values.format}: give 1 (the default) or 2`, { path: 'format' });
  }
  const dir = positionals[0];
  if (!dir) throw new RepriseError('invalid-argument', 'manifest build needs the media folder: reprise manifest build <dir> --key FILE --epoch N');
  for (const flag of ['key', 'epoch'] as const) {
    if (values[flag] === undefined) throw new RepriseError('invalid-argument', `manifest build needs --${flag}`, { path: flag });
  }
  const file = values.out ?? join(dir, 'manifest.jws');
  const outInfo = await stat(file).catch(() => undefined);
  if (outInfo?.isDirectory()) throw new RepriseError('invalid-argument', `--out "${file}" is a folder; give the manifest's file name, e.g. ${join(file, 'manifest.jws')}`, { path: 'out' });
  const baseUrl = resolveBaseUrl(dir, file, values['base-url']);
  const window = parseInteger(values.window, '--window');
  const maxBps = parseInteger(values['max-bytes-per-second'], '--max-bytes-per-second');
  const maxConcurrent = parseInteger(values['max-concurrent'], '--max-concurrent');
  const hints = { ...(window !== undefined ? { windowSeconds: window } : {}), ...(maxBps ? { maxBytesPerSecond: maxBps } : {}), ...(maxConcurrent ? { maxConcurrent } : {}) };
  const days = parseInteger(values['expires-in'], '--expires-in');
  const { jws, manifest } = await buildManifest({
    dir,
    baseUrl,
    privateJwk: await readJwk(values.key!),
    epoch: parseInteger(values.epoch, '--epoch')!,
    chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
    playlists: parsePlaylists(values.playlist ?? [], values.offline ?? []),
    revokedKeyIds: values.revoke,
    expiresInSeconds: days ? days * 86400 : undefined,
    resync: Object.keys(hints).length ? hints : undefined,
  });
  try {
    await writeFile(file, jws);
  } catch (cause) {
    throw fileError(cause, 'write the manifest to', file, '--out');
  }
  const bytes = manifest.tracks.reduce((n, t) => n + t.size, 0);
  out(`wrote ${file}: epoch ${manifest.securityEpoch}, ${manifest.tracks.length} tracks (${bytes} bytes), ${manifest.playlists.length} playlists`);
  printIds(manifest, out);
  out(`  track URLs: ${baseUrl || '(the manifest\'s folder)'}<file>, relative to the manifest's URL`);
  return 0;
}
