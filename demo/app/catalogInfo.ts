/** The service's catalog as the demo page shows it (`/api/catalog`, also cached for offline use). */
export interface CatalogTrack {
  id: string;
  playlistId: string;
  title: string;
  artist: string;
  album: string;
  seconds: number;
  size: number;
  chunks: string[];
}

export interface CatalogInfo {
  playlists: { id: string; name: string; offline: boolean; lastPlayedAt: string | null; trackIds: string[] }[];
  tracks: CatalogTrack[];
}

export async function fetchCatalog(): Promise<{ info: CatalogInfo; byId: Map<string, CatalogTrack> }> {
  const info = (await (await fetch('/api/catalog')).json()) as CatalogInfo;
  return { info, byId: new Map(info.tracks.map((t) => [t.id, t])) };
}

/** Tells the service (best effort: offline, the device's own record is enough). */
export function tellService(path: string, body: unknown): void {
  void fetch(path, { method: 'POST', body: JSON.stringify(body) }).catch(() => {});
}
