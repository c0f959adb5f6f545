import { access, constants, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RepriseError } from '../../errors/RepriseError.js';
import { fileError } from '../cliError.js';
import { checkKid, generateKeys } from '../keys.js';
import { makeFolder } from '../makeFolder.js';

export const KEYS_GENERATE_USAGE = `  reprise keys generate [--kid ID] [--out DIR]
      An ES256 key pair as JWKs. With --out, writes DIR/<kid>.private.jwk (mode 600) and
      DIR/<kid>.public.jwk; without, prints both. Ship only the public one in the app.
      ID: 1–128 characters of A-Z a-z 0-9 . _ : - (default k-<date>-<random>).`;

/** Makes DIR (or finds it) and checks it is writable before any key is generated. */
async function writableFolder(dir: string): Promise<void> {
  try {
    await makeFolder(dir);
    await access(dir, constants.W_OK);
  } catch (cause) {
    throw fileError(cause, 'write keys into', dir, '--out');
  }
}

export async function keysGenerate(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { kid: { type: 'string' }, out: { type: 'string' } } });
  if (values.kid !== undefined) checkKid(values.kid);
  if (values.out !== undefined) await writableFolder(values.out);
  const keys = await generateKeys(values.kid);
  if (values.out === undefined) {
    out(JSON.stringify({ private: keys.privateJwk, public: keys.publicJwk }, null, 2));
    return 0;
  }
  const privatePath = join(values.out, `${keys.kid}.private.jwk`);
  const publicPath = join(values.out, `${keys.kid}.public.jwk`);
  for (const [path, jwk, mode] of [[privatePath, keys.privateJwk, 0o600], [publicPath, keys.publicJwk, 0o644]] as const) {
    try {
      await writeFile(path, JSON.stringify(jwk, null, 2) + '\n', { mode, flag: 'wx' });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new RepriseError('invalid-argument', `"${path}" already exists: reprise never overwrites a key; choose another --kid or folder`, { path: 'out' }, { cause });
      }
      throw fileError(cause, 'write', path, '--out');
    }
  }
  out(`wrote ${privatePath} (keep secret) and ${publicPath} (give to the app as a trusted key)`);
  return 0;
}
