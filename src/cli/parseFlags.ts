import { readFile } from 'node:fs/promises';
import { RepriseError } from '../errors/RepriseError.js';
import type { PlaylistSpec } from './buildManifest.js';
import { fileError } from './cliError.js';

/** `256k`, `1m`, `65536` → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new RepriseError('invalid-argument', `--chunk-size "${text}" is not a size such as 256k or 1m`, { path: 'chunkSize' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

export function parseInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new RepriseError('invalid-argument', `${flag} "${text}" must be a whole number`, { path: flag });
  return Number(text);
}

/** Reads a JWK file written by `reprise keys generate`. */
export async function readJwk(file: string): Promise<JsonWebKey & { kid?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw fileError(cause, 'read key file', file, '--key');
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RepriseError('invalid-argument', `key file "${file}" is not JSON (a JWK from \`reprise keys generate\`)`, { path: 'key' }, { cause });
  }
}

/** `--playlist NAME=GLOB` (repeatable) and `--offline NAME` → the playlists to build. */
export function parsePlaylists(specs: string[], offlineNames: string[]): PlaylistSpec[] {
  const offline = new Set(offlineNames);
  const playlists = specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new RepriseError('invalid-argument', `--playlist "${spec}" must be NAME=GLOB, e.g. "Road trip=road/*.mp3"`, { path: 'playlist' });
    const name = spec.slice(0, eq);
    return { name, glob: spec.slice(eq + 1), offline: offline.has(name) };
  });
  const unknown = [...offline].filter((name) => !playlists.some((p) => p.name === name));
  if (unknown.length) throw new RepriseError('invalid-argument', `--offline ${unknown.join(', ')}: no --playlist of that name`, { path: 'offline' });
  return playlists;
}
