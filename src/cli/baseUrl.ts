import { dirname, relative, resolve, sep } from 'node:path';
import { RepriseError } from '../errors/RepriseError.js';

/** An absolute URL (`https://cdn.example/m/`) or a root-relative path (`/media/`). */
const isAbsolute = (url: string) => url.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(url);

/**
 * The track URL prefix. Track URLs resolve against the manifest's URL, so the default is the
 * media folder as seen from the folder the manifest is written to: `""` when the manifest sits
 * in the media folder, `media/` for `--out public/manifest.jws` over `public/media`. A relative
 * `--base-url` must name the media folder from there too; one that does not (the doubled
 * `media/media/`) is refused with the value that works. Absolute and root-relative URLs are
 * taken as given (a CDN, another path on the server).
 */
export function resolveBaseUrl(mediaDir: string, manifestFile: string, given: string | undefined): string {
  const fromManifest = relative(dirname(resolve(manifestFile)), resolve(mediaDir)).split(sep).join('/');
  const natural = fromManifest === '' ? '' : `${fromManifest}/`;
  if (given === undefined) return natural;
  if (isAbsolute(given)) return given;
  const target = resolve(dirname(resolve(manifestFile)), given);
  if (target !== resolve(mediaDir)) {
    throw new RepriseError(
      'invalid-argument',
      `--base-url "${given}" is relative, so it resolves against the manifest's folder "${dirname(manifestFile)}" and points at "${relative(process.cwd(), target) || '.'}", not the media folder "${mediaDir}": ` +
        `track URLs would miss. Leave --base-url out (here it would be "${natural}"), or give an absolute URL such as https://cdn.example/media/`,
      { path: 'base-url' },
    );
  }
  return given === '' || given.endsWith('/') ? given : `${given}/`;
}
