import type { Catalog, CatalogTrack } from '../manifest/Catalog.js';
import type { PlaylistRecord } from '../store/schema.js';

/** What decides which playlists are offline: the manifest, the device's choices, and removals since the last sync. */
export interface SelectionInput {
  catalog: Catalog | undefined;
  choices: ReadonlyMap<string, PlaylistRecord>;
  /** Playlists remove()d since the last sync: the service's record applies again only then. */
  removed: ReadonlySet<string>;
}

/** The device's choice, else the service's `offline` record (docs/how-it-works.md: the fallback on a fresh install). */
export function effectiveOffline(playlistId: string, { catalog, choices, removed }: SelectionInput): { offline: boolean; source: 'device' | 'service' } {
  if (removed.has(playlistId)) return { offline: false, source: 'device' };
  const choice = choices.get(playlistId)?.offline;
  if (choice !== undefined) return { offline: choice, source: 'device' };
  return { offline: catalog?.playlists.get(playlistId)?.offline ?? false, source: 'service' };
}

/** When a playlist was last used: played, or chosen for offline (the storage budget's LRU key). */
export function lastUsed(playlistId: string, choices: ReadonlyMap<string, PlaylistRecord>): number {
  const c = choices.get(playlistId);
  return Math.max(c?.lastPlayedAt ?? -Infinity, c?.offlineAt ?? -Infinity);
}

/** Offline playlists in download priority order: most recently played first, then manifest order. */
export function offlinePlaylists(input: SelectionInput) {
  if (!input.catalog) return [];
  return [...input.catalog.playlists.values()]
    // The device's own play history, else the service's record (after storage-lost the device has none).
    .map((p, order) => ({ p, order, played: input.choices.get(p.id)?.lastPlayedAt ?? (p.lastPlayedAt ? Date.parse(p.lastPlayedAt) : -Infinity) }))
    .filter(({ p }) => effectiveOffline(p.id, input).offline)
    .sort((a, b) => b.played - a.played || a.order - b.order)
    .map(({ p }) => p);
}

/**
 * Tracks of offline playlists in download priority order, each once, refused ones left out —
 * and, in format 2, those whose chunk list is not held yet (see {@link awaitingChunkList}).
 */
export function neededTracks(input: SelectionInput): CatalogTrack[] {
  return offlineTracks(input).filter((t) => t.chunks !== undefined);
}

/** Format 2: offline tracks whose chunk list is not on the device yet (nothing can be planned or kept for them). */
export function awaitingChunkList(input: SelectionInput): CatalogTrack[] {
  return offlineTracks(input).filter((t) => t.chunks === undefined);
}

function offlineTracks(input: SelectionInput): CatalogTrack[] {
  const out: CatalogTrack[] = [];
  const seen = new Set<string>();
  for (const p of offlinePlaylists(input)) {
    for (const id of p.trackIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const t = input.catalog!.tracks.get(id);
      if (t && !t.refused) out.push(t);
    }
  }
  return out;
}
