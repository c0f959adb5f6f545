import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { RepriseError } from '../../errors/RepriseError.js';
import { fileError } from '../cliError.js';
import { makeFolder } from '../makeFolder.js';

export const SW_COPY_USAGE = `  reprise sw copy <dir> [--name FILE]
      Copies the ready-made service worker (reprise/service-worker.js) to <dir>/sw.js (or
      <dir>/FILE), the folder your app serves at its root. Run it from the app's build
      ("prebuild": "reprise sw copy public") so the copy follows every upgrade of reprise.`;

/** The built service worker: the package root's service-worker.js, two folders above dist/node/cli.js and src/cli/commands/…. */
export function serviceWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.includes(`${join('dist', 'node')}`) ? fileURLToPath(new URL('../../service-worker.js', import.meta.url)) : fileURLToPath(new URL('../../../service-worker.js', import.meta.url));
}

export async function swCopy(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' } } });
  const dir = positionals[0];
  if (!dir) throw new RepriseError('invalid-argument', 'sw copy needs the folder your app serves at its root: reprise sw copy public');
  const name = values.name ?? 'sw.js';
  if (name.includes('/') || name.includes('\\')) throw new RepriseError('invalid-argument', `--name "${name}" must be a file name, not a path`, { path: 'name' });
  const target = join(dir, name);
  try {
    await makeFolder(dir);
  } catch (cause) {
    throw fileError(cause, 'make the folder', dir, '<dir>');
  }
  try {
    await copyFile(serviceWorkerFile(), target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && (cause as NodeJS.ErrnoException).path === serviceWorkerFile()) {
      throw new RepriseError('invalid-argument', `the built service worker is missing at ${serviceWorkerFile()}: run \`npm run build\` in reprise`, {}, { cause });
    }
    throw fileError(cause, 'copy the service worker to', target, '<dir>');
  }
  out(`wrote ${target}: register it with serviceWorker: { url: '/${name}' } (its scope must cover the pages that play)`);
  return 0;
}
