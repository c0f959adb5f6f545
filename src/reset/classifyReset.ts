import { RESET_KINDS, type ResetKind } from './resetKinds.js';

/** What sync() knows when it compares the store with what the app and the server now say. */
export interface ResetFacts {
  /** A manifest was accepted on this device before (the store is not new). */
  stored: { kid: string; epoch: number } | undefined;
  /** The stored manifest's key is now revoked (by the app or the new manifest) or no longer in trustedKeys. */
  storedKeyDistrusted: boolean;
  /** The new manifest's epoch; undefined when it could not be fetched. */
  newEpoch: number | undefined;
  appSecurityEpoch: number;
  /** Chunks the offline playlists need, and how many of them the store holds. */
  neededChunks: number;
  presentChunks: number;
  /** Chunks of once-complete tracks that are gone, or that a read found corrupt. */
  lostChunks: number;
  /** The schema version the store had before this open, when it was migrated. */
  migratedFrom: number | undefined;
}

/**
 * docs/how-it-works.md "Reset detection": `kind` is the first that applies, in table order; `reasons` lists
 * every one that applies (`none` only when nothing does).
 */
export function classifyReset(f: ResetFacts): { kind: ResetKind; reasons: ResetKind[] } {
  const applies: Record<ResetKind, boolean> = {
    'storage-lost': f.neededChunks > 0 && f.presentChunks === 0,
    'key-revoked': f.stored !== undefined && f.storedKeyDistrusted,
    'security-epoch': f.stored !== undefined && f.newEpoch !== undefined && f.newEpoch > f.stored.epoch,
    'app-epoch': f.stored !== undefined && f.appSecurityEpoch > f.stored.epoch,
    'partial-loss': f.lostChunks > 0 && f.presentChunks > 0,
    'schema-upgrade': f.migratedFrom !== undefined,
    none: false,
  };
  const reasons = RESET_KINDS.filter((k) => applies[k]);
  if (reasons.length === 0) reasons.push('none');
  return { kind: reasons[0]!, reasons };
}

/** Kinds after which every stored chunk is re-hashed before it counts as kept. */
export const FULL_AUDIT_KINDS: readonly ResetKind[] = ['key-revoked', 'security-epoch', 'app-epoch'];
/**
 * Kinds after which downloads wait for the reset window (docs/how-it-works.md "Throttled resync"): resets
 * caused by the service or the app. `storage-lost` and `partial-loss` are the device's own and
 * start at once, and a first install never waits (the caller checks that).
 */
export const WINDOWED_KINDS: readonly ResetKind[] = ['key-revoked', 'security-epoch', 'app-epoch'];
