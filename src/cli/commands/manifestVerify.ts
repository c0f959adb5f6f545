import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { RepriseError } from '../../errors/RepriseError.js';
import { importTrustedKeys, publicJwkSchema } from '../../manifest/trustedKeys.js';
import { verifyManifest } from '../../manifest/verifyManifest.js';
import { fileError } from '../cliError.js';
import { readJwk } from '../parseFlags.js';

export const MANIFEST_VERIFY_USAGE = `  reprise manifest verify <file.jws> --key PUBLIC.jwk [--key …]
      Checks the signature and the schema, prints a summary.`;

export async function manifestVerify(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { key: { type: 'string', multiple: true } } });
  if (!positionals[0] || !values.key?.length) throw new RepriseError('invalid-argument', 'usage: reprise manifest verify <file.jws> --key PUBLIC.jwk');
  const jwks = await Promise.all(values.key.map(readJwk));
  const keys = await importTrustedKeys(jwks.map((k, i) => {
    const parsed = publicJwkSchema.safeParse(k);
    if (!parsed.success) throw new RepriseError('invalid-argument', `--key ${values.key![i]} is not an ES256 public JWK with a kid`, { path: 'key' });
    return parsed.data;
  }));
  const jws = await readFile(positionals[0], 'utf8').catch((cause: unknown) => {
    throw fileError(cause, 'read the manifest', positionals[0]!, '<file.jws>');
  });
  const { manifest, kid } = await verifyManifest(jws, { trustedKeys: keys, revokedKeyIds: new Set(), minEpoch: 0, now: Date.now() });
  out(`ok: signed by ${kid}, epoch ${manifest.securityEpoch}, ${manifest.tracks.length} tracks, ${manifest.playlists.length} playlists, issued ${manifest.issuedAt}`);
  return 0;
}
