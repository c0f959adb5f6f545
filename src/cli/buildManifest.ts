import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { CompactSign, importJWK } from 'jose';
import picomatch from 'picomatch';
import { RepriseError } from '../errors/RepriseError.js';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../manifest/limits.js';
import { MANIFEST_FORMAT, type Manifest, manifestSchema } from '../manifest/schema.js';
import { describeZodError } from '../util/describeZodError.js';
import { hashFileChunks } from './hashFile.js';
import { readTags } from './readTags.js';
import { toId } from './toId.js';

export interface PlaylistSpec {
  name: string;
  /** picomatch glob, relative to the media folder. */
  glob: string;
  offline?: boolean;
}

export interface BuildManifestOptions {
  dir: string;
  /** Prefix of each track URL: relative (resolved against the manifest URL, so "" when the manifest sits in the media folder) or absolute. */
  baseUrl: string;
  /** ES256 private JWK with its `kid`. */
  privateJwk: JsonWebKey & { kid?: string };
  epoch: number;
  /** Default 256 KiB. */
  chunkSize?: number;
  /** Default: one playlist with every file, named after the folder. */
  playlists?: PlaylistSpec[];
  expiresInSeconds?: number;
  revokedKeyIds?: string[];
  resync?: Manifest['resync'];
  now?: Date;
}

export const DEFAULT_CHUNK_SIZE = 256 * 1024;

const MIME_TYPES: Record<string, string> = {
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.aac': 'audio/aac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg; codecs=opus',
  '.webm': 'audio/webm',
  '.flac': 'audio/flac',
  '.wav': 'audio/wav',
};

async function listFiles(dir: string): Promise<string[]> {
  let info;
  try {
    info = await stat(dir);
  } catch (cause) {
    throw new RepriseError('invalid-argument', `media folder "${dir}" does not exist or cannot be read`, { path: 'dir' }, { cause });
  }
  if (!info.isDirectory()) throw new RepriseError('invalid-argument', `"${dir}" is not a folder`, { path: 'dir' });
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && !/\.(jws|jwk|json)$/i.test(entry.name)) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Builds and signs a `reprise-manifest/1`: every file of `dir` becomes a track (hashed as a
 * stream, chunk by chunk; title, artist and duration from its tags, the title falling back to
 * the file name), playlists come from globs; ids follow {@link toId}. The result is validated with the same
 * schema the engine uses before it is signed, so a manifest this tool writes is never refused
 * as invalid.
 */
export async function buildManifest(options: BuildManifestOptions): Promise<{ jws: string; manifest: Manifest }> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!(Number.isInteger(chunkSize) && chunkSize >= MIN_CHUNK_SIZE && chunkSize <= MAX_CHUNK_SIZE && (chunkSize & (chunkSize - 1)) === 0)) {
    throw new RepriseError('invalid-argument', `--chunk-size ${chunkSize} must be a power of two from 64 KiB to 8 MiB`, { path: 'chunkSize' });
  }
  if (!Number.isInteger(options.epoch) || options.epoch < 0) {
    throw new RepriseError('invalid-argument', `--epoch must be a whole number ≥ 0 (got ${options.epoch})`, { path: 'epoch' });
  }
  const kid = options.privateJwk.kid;
  if (!kid) throw new RepriseError('invalid-argument', 'the signing key has no "kid"; create keys with `reprise keys generate`', { path: 'key' });
  if (!options.privateJwk.d) throw new RepriseError('invalid-argument', `key "${kid}" is a public key; signing needs the private JWK`, { path: 'key' });
  let key: CryptoKey;
  try {
    key = (await importJWK(options.privateJwk, 'ES256')) as CryptoKey;
  } catch (cause) {
    throw new RepriseError('invalid-argument', `key "${kid}" is not an ES256 (P-256) private JWK (${(cause as Error).message})`, { path: 'key' }, { cause });
  }

  const files = await listFiles(options.dir);
  if (files.length === 0) throw new RepriseError('invalid-argument', `media folder "${options.dir}" holds no files`, { path: 'dir' });

  const ids = new Set<string>();
  const tracks: Manifest['tracks'] = [];
  const idOfFile = new Map<string, string>();
  for (const file of files) {
    let id = toId(file.replace(/\.[^./]+$/, ''));
    for (let n = 2; ids.has(id); n++) id = `${toId(file.replace(/\.[^./]+$/, '')).slice(0, 120)}-${n}`;
    ids.add(id);
    idOfFile.set(file, id);
    const { size, chunks } = await hashFileChunks(join(options.dir, file), chunkSize);
    if (size === 0) throw new RepriseError('invalid-argument', `"${file}" is empty; remove it from the media folder`, { path: 'dir' });
    const { title, ...tags } = await readTags(join(options.dir, file));
    const url = options.baseUrl + file.split('/').map(encodeURIComponent).join('/');
    const mimeType = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    tracks.push({ id, url, mimeType, size, chunkSize, chunks, title: title ?? file.split('/').pop()!.replace(/\.[^.]+$/, ''), ...tags });
  }

  const specs = options.playlists?.length ? options.playlists : [{ name: options.dir.split(/[\\/]/).filter(Boolean).pop() ?? 'library', glob: '**', offline: false }];
  const playlists: Manifest['playlists'] = [];
  const playlistIds = new Set<string>();
  for (const spec of specs) {
    let match: (path: string) => boolean;
    try {
      match = picomatch(spec.glob, { strictBrackets: true });
    } catch (cause) {
      throw new RepriseError('invalid-argument', `playlist "${spec.name}": "${spec.glob}" is not a valid glob (${(cause as Error).message})`, { path: 'playlist' }, { cause });
    }
    const trackIds = files.filter((f) => match(f)).map((f) => idOfFile.get(f)!);
    if (trackIds.length === 0) {
      throw new RepriseError('invalid-argument', `playlist "${spec.name}": glob "${spec.glob}" matches no file in "${options.dir}"`, { path: 'playlist' });
    }
    const id = toId(spec.name);
    if (playlistIds.has(id)) throw new RepriseError('invalid-argument', `playlist "${spec.name}" has the id "${id}" of an earlier --playlist; rename one`, { path: 'playlist' });
    playlistIds.add(id);
    playlists.push({ id, name: spec.name, trackIds, ...(spec.offline ? { offline: true } : {}) });
  }

  const now = options.now ?? new Date();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    securityEpoch: options.epoch,
    issuedAt: now.toISOString(),
    ...(options.expiresInSeconds ? { expiresAt: new Date(now.getTime() + options.expiresInSeconds * 1000).toISOString() } : {}),
    ...(options.revokedKeyIds?.length ? { revokedKeyIds: options.revokedKeyIds } : {}),
    ...(options.resync ? { resync: options.resync } : {}),
    playlists,
    tracks,
  };
  const checked = manifestSchema().safeParse(manifest);
  if (!checked.success) throw new RepriseError('manifest-invalid', describeZodError(checked.error).message);
  if (manifest.revokedKeyIds?.includes(kid)) {
    throw new RepriseError('invalid-argument', `--revoke ${kid} revokes the signing key itself; sign with a new key`, { path: 'revoke' });
  }
  return { jws: await signManifest(manifest, key, kid), manifest };
}

/** Signs a payload as a compact JWS with ES256 and the given `kid`. */
export async function signManifest(manifest: unknown, key: CryptoKey | Uint8Array, kid: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(manifest))).setProtectedHeader({ alg: 'ES256', kid, typ: 'reprise-manifest+jws' }).sign(key);
}
