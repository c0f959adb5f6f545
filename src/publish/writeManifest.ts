import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RepriseError } from '../errors/RepriseError.js';
import type { AssembledManifest } from './assembleManifest.js';

export interface WrittenFiles {
  root: string;
  parts: string[];
  chunkLists: string[];
}

/**
 * Writes a format-2 manifest as a static origin serves it: the root at `rootFile`, each part
 * at its URL and each chunk list at `<indexBase><contentId>`, both relative to the root's
 * folder. Parts and chunk lists are named by their hash: a file already there is the same and
 * is rewritten as is; serve them with a long `Cache-Control: immutable`.
 */
export async function writeManifest(rootFile: string, assembled: AssembledManifest, chunkLists: ReadonlyMap<string, Uint8Array>): Promise<WrittenFiles> {
  const base = dirname(rootFile);
  const written: WrittenFiles = { root: rootFile, parts: [], chunkLists: [] };
  for (const url of [...assembled.parts.map((p) => p.url), assembled.root.indexBase]) {
    if (/^[a-z][a-z0-9+.-]*:|^\/|\.\./i.test(url)) {
      throw new RepriseError('invalid-argument', `"${url}" is not a path under the root's folder; writeManifest writes relative partBase and indexBase only`, { path: 'partBase' });
    }
  }
  const put = async (file: string, body: Uint8Array | string) => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, body);
  };
  for (const part of assembled.parts) {
    const file = join(base, part.url);
    await put(file, part.body);
    written.parts.push(file);
  }
  for (const [contentId, body] of chunkLists) {
    const file = join(base, assembled.root.indexBase + contentId);
    await put(file, body);
    written.chunkLists.push(file);
  }
  // The root last: a device that reads it finds every file it pins.
  await put(rootFile, assembled.jws);
  return written;
}
