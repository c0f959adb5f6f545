import { readFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILD_FLAGS } from './buildFlags.js';
import { RepriseError } from '../errors/RepriseError.js';
import { assembleManifest } from '../publish/assembleManifest.js';
import { createSigner } from '../publish/createSigner.js';
import { DigestIndex } from '../publish/DigestIndex.js';
import { digestFromChunks } from '../publish/digestFile.js';
import { writeManifest } from '../publish/writeManifest.js';
import { buildManifest } from './buildManifest.js';
import { parseInteger, parsePlaylists, parseSize, readJwk } from './parseFlags.js';
import { printIds } from './printIds.js';

export const USAGE_V2 = `  reprise manifest build <dir> --format 2 --base-url URL --key FILE --epoch N [options]
      Writes a reprise-manifest/2: a signed root (--out), parts named by their hash under
      --part-base and one chunk list per content under --index-base, next to the root.
      --version N           root version, never lower than the last published (default: now, in seconds)
      --subject ID          the account the root is for
      --parts N             part count, a power of two (default: ~100 tracks a part)
      --part-base PATH      default "parts/";  --index-base PATH   default "index/"
      --out FILE            the root; a folder outside <dir> (parts and chunk lists go beside it)
      and --chunk-size, --playlist, --offline, --revoke, --expires-in, --window,
      --max-bytes-per-second, --max-concurrent as for format 1.`;

/** True when `reprise manifest build` was asked for format 2 (`--format 2` or `--format=2`). */
export function isFormat2(args: readonly string[]): boolean {
  return args.some((a, i) => a === '--format=2' || (a === '--format' && args[i + 1] === '2'));
}

/**
 * `reprise manifest build --format 2`: hashes the folder as format 1 does (same ids, playlists
 * and checks), then lists each file by its content id, shards the catalog into parts, signs
 * the root and writes root, parts and chunk lists.
 */
export async function manifestBuildV2(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...BUILD_FLAGS,
      version: { type: 'string' },
      subject: { type: 'string' },
      parts: { type: 'string' },
      'part-base': { type: 'string' },
      'index-base': { type: 'string' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new RepriseError('invalid-argument', `manifest build needs the media folder:\n${USAGE_V2}`);
  for (const flag of ['base-url', 'key', 'epoch', 'out'] as const) {
    if (values[flag] === undefined) throw new RepriseError('invalid-argument', `manifest build --format 2 needs --${flag}`, { path: flag });
  }
  // Parts and chunk lists go next to the root; inside <dir> the next build would list them as media.
  const outDir = resolve(dirname(values.out!));
  if ((outDir + sep).startsWith(resolve(dir) + sep)) {
    throw new RepriseError('invalid-argument', `--out ${values.out} is inside the media folder; write format 2 (root, parts/ and index/) to a folder of its own`, { path: 'out' });
  }
  const privateJwk = await readJwk(values.key!);
  const signer = await createSigner({ privateJwk });
  const playlists = parsePlaylists(values.playlist ?? [], values.offline ?? []);
  const window = parseInteger(values.window, '--window');
  const maxBytesPerSecond = parseInteger(values['max-bytes-per-second'], '--max-bytes-per-second');
  const maxConcurrent = parseInteger(values['max-concurrent'], '--max-concurrent');
  const resync = { ...(window !== undefined ? { windowSeconds: window } : {}), ...(maxBytesPerSecond ? { maxBytesPerSecond } : {}), ...(maxConcurrent ? { maxConcurrent } : {}) };
  const now = new Date();
  const days = parseInteger(values['expires-in'], '--expires-in');
  const epoch = parseInteger(values.epoch, '--epoch')!;
  // Format 1's builder walks and hashes the folder (ids, MIME types, globs); its v1 signature is dropped.
  const { manifest } = await buildManifest({
    dir,
    baseUrl: values['base-url']!,
    privateJwk,
    epoch,
    chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
    playlists,
    now,
  });
  const index = new DigestIndex();
  const { tracks: v1Tracks } = manifest;
  for (const { chunks, id, ...fields } of v1Tracks) index.add(id, { ...fields, ...digestFromChunks(fields.size, fields.chunkSize, chunks) });
  const assembled = await assembleManifest({
    tracks: v1Tracks.map((t) => index.track(t.id, t.id)),
    playlists: manifest.playlists,
    securityEpoch: epoch,
    version: parseInteger(values.version, '--version') ?? Math.floor(now.getTime() / 1000),
    ...(values.subject !== undefined ? { subject: values.subject } : {}),
    issuedAt: now,
    ...(days ? { expiresAt: new Date(now.getTime() + days * 86_400_000) } : {}),
    ...(values.revoke?.length ? { revokedKeyIds: values.revoke } : {}),
    ...(Object.keys(resync).length ? { resync } : {}),
    ...(values['index-base'] !== undefined ? { indexBase: values['index-base'] } : {}),
    ...(values['part-base'] !== undefined ? { partBase: values['part-base'] } : {}),
    ...(values.parts !== undefined ? { partCount: parseInteger(values.parts, '--parts')! } : {}),
    signer,
  });
  const file = values.out!;
  const written = await writeManifest(file, assembled, index.chunkLists());
  out(
    `wrote ${file}: reprise-manifest/2, epoch ${epoch}, version ${assembled.root.version}, ${v1Tracks.length} tracks in ${written.parts.length} parts, ` +
      `${written.chunkLists.length} chunk lists under ${assembled.root.indexBase}, ${manifest.playlists.length} playlists; root ${assembled.jws.length} bytes`,
  );
  printIds(manifest, out);
  return 0;
}
