import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const errno = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code, path });

/**
 * `mkdir -p` that always ends. Node's `mkdir(dir, { recursive: true })` loops forever where
 * mkdir answers ENOENT under a parent that exists (`/proc`, some FUSE and network mounts): this
 * makes the missing folders one by one and lets every error through. A file in the way is
 * `EEXIST` (the path itself) or `ENOTDIR` (a parent).
 */
export async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info) {
      if (!info.isDirectory()) throw errno(missing.length ? 'ENOTDIR' : 'EEXIST', current);
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const folder of missing) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}
