/** How many track ids `reprise manifest build` prints before it says how many more there are. */
export const TRACK_IDS_PRINTED = 20;

interface Listed {
  playlists: readonly { id: string; name: string; trackIds: readonly string[]; offline?: boolean }[];
  tracks: readonly { id: string; url: string }[];
}

/**
 * The ids the manifest tool gave, as an app needs them: `setOffline(playlistId)`,
 * `trackUrl(trackId)`. Every playlist; the first {@link TRACK_IDS_PRINTED} tracks with their URL.
 */
export function printIds(manifest: Listed, out: (line: string) => void): void {
  for (const p of manifest.playlists) out(`  playlist ${p.id}: "${p.name}", ${p.trackIds.length} tracks${p.offline ? ', offline' : ''}`);
  for (const t of manifest.tracks.slice(0, TRACK_IDS_PRINTED)) out(`  track ${t.id}: ${readable(t.url)}`);
  const more = manifest.tracks.length - TRACK_IDS_PRINTED;
  if (more > 0) out(`  … and ${more} more tracks (each id is the file's path without its extension, by the id rule in docs/how-it-works.md)`);
}

function readable(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}
