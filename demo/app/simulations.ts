import { deleteDB } from 'idb';
import type { CacheStatus, OfflineCache, SyncReport } from '../../src/client/index.js';
import type { CatalogTrack } from './catalogInfo.js';
import { damageStore, type Damage } from './damageStore.js';
import { logEvent } from './EventLog.js';
import { esc, plural } from './format.js';

/** What the simulations need from the page. */
export interface SimulationContext {
  cache(): OfflineCache;
  status(): Promise<CacheStatus>;
  tracks: Map<string, CatalogTrack>;
  sync(damage: Damage | null): Promise<SyncReport | null>;
  /** Opens the offline cache again (after the store was wiped under it). */
  reconnect(): Promise<void>;
  /** The server's request log position: bytes fetched after it are "fetched again". */
  markRefetch(expectedBytes: number): Promise<void>;
}

const post = async (path: string) => (await fetch(path, { method: 'POST' })).json();

/** Bytes the origin must send again for this damage: the corrupted chunks and the deleted tracks, whole. */
export function bytesToRefetch(damage: Damage, tracks: Map<string, CatalogTrack>, chunkSize = 64 * 1024): number {
  const chunk = (t: CatalogTrack, i: number) => Math.min(chunkSize, t.size - i * chunkSize);
  return damage.corrupted.reduce((s, c) => s + chunk(tracks.get(c.trackId)!, c.index), 0) + damage.deleted.reduce((s, d) => s + tracks.get(d.trackId)!.size, 0);
}

/**
 * A security-forced reset as a service would run it after a breach, on this device's real store:
 * optionally damage it first, app closed (N corrupted chunks, M deleted tracks), then the server raises the
 * security epoch and rotates its signing key, then the app syncs.
 */
export async function simulateSecurityReset(ctx: SimulationContext, corrupt: number, remove: number): Promise<void> {
  let damage: Damage | null = null;
  if (corrupt > 0 || remove > 0) {
    // The disk fails while the app is closed; the reset is noticed when it opens again.
    const status = await ctx.status();
    await ctx.cache().close();
    damage = await damageStore(status, ctx.tracks, corrupt, remove);
    await ctx.reconnect();
    logEvent(`device damaged: ${plural(damage.corrupted.length, 'chunk')} corrupted, ${plural(damage.deleted.length, 'track')} deleted (${plural(damage.missingChunks, 'chunk')})`, 'bad');
  }
  await ctx.markRefetch(damage ? bytesToRefetch(damage, ctx.tracks) : 0);
  const r = (await post('/admin/security-reset')) as { epoch: number; kid: string; revoked: string[]; rotated: boolean };
  logEvent(`server: breach response — epoch ${r.epoch}, ${r.rotated ? `signing key rotated to ${esc(r.kid)}, revoked ${esc(r.revoked.join(', '))}` : 'key ring used up: epoch raised only'}`, 'bad');
  await ctx.sync(damage);
}

/**
 * "Storage wiped": what clearing site data or an eviction does to the store. The cache is closed,
 * the IndexedDB database deleted, then the app opens it again and syncs: the service's offline
 * records bring the playlists back (reset kind `storage-lost`).
 */
export async function simulateStorageWiped(ctx: SimulationContext): Promise<void> {
  await ctx.cache().close();
  await deleteDB('reprise', { blocked: () => logEvent('waiting for other tabs to let go of the store…') });
  logEvent('device store wiped (IndexedDB database deleted)', 'bad');
  await ctx.reconnect();
  await ctx.markRefetch(0);
  await ctx.sync(null);
}
