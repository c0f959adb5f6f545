import { isRepriseError } from '../errors/RepriseError.js';
import { Catalog } from '../manifest/Catalog.js';
import type { ManifestLimits } from '../manifest/limits.js';
import type { KeyRing } from '../manifest/trustedKeys.js';
import { verifyManifest } from '../manifest/verifyManifest.js';
import type { MetaRecord } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { ResolvedOptions } from './options.js';

/** Limits guard what comes from the network; a manifest this device already accepted is not re-judged by them. */
const STORED_LIMITS: ManifestLimits = { maxManifestBytes: Infinity, maxTracks: Infinity, maxTrackBytes: Infinity, maxRootBytes: Infinity, maxPartBytes: Infinity };

/** Why the stored manifest is not in force (everything it lists is held back). */
export type HeldBackCause = 'key-distrusted' | 'manifest-invalid';

/**
 * The manifest in force and the security state around it (DESIGN.md "Security rules"): the
 * stored record (epochs, revoked keys, the accepted JWS) and whether this build still trusts it.
 */
export class TrustState {
  catalog: Catalog | undefined;
  /** False when the stored manifest's key is revoked or no longer trusted: nothing is served. */
  trusted = false;
  heldBackCause: HeldBackCause | undefined;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly store: Store,
    private readonly keyring: KeyRing,
    public meta: MetaRecord,
    readonly allowed: ReadonlySet<string>,
  ) {}

  /** A trusted manifest is in force: tracks can be served. */
  get servable(): boolean {
    return this.catalog !== undefined && this.trusted;
  }

  /** Downloads may start: nothing is fetched on the word of a manifest this build considers outdated (offline app-epoch). */
  get mayFetch(): boolean {
    return this.servable && this.catalog!.epoch >= this.opts.appSecurityEpoch;
  }

  revokedKeyIds(): Set<string> {
    return new Set([...this.opts.revokedKeyIds, ...this.meta.revokedKeyIds]);
  }

  /**
   * Re-verifies the stored manifest's signature (the store is not trusted more than the network).
   * Only a refusal of the manifest itself holds the library back; a storage failure rejects.
   */
  async loadStored(): Promise<void> {
    const stored = this.meta.manifest;
    if (!stored) return;
    try {
      const verified = await verifyManifest(stored.jws, {
        trustedKeys: this.keyring,
        revokedKeyIds: this.revokedKeyIds(),
        minEpoch: 0, // it was accepted at its time; rollback and expiry apply to new manifests
        now: 0,
        limits: STORED_LIMITS,
      });
      this.catalog = await Catalog.build(verified, stored.url, this.allowed);
      this.trusted = true;
      this.heldBackCause = undefined;
    } catch (error) {
      if (!isRepriseError(error)) throw error;
      this.catalog = undefined;
      this.trusted = false;
      this.heldBackCause = error.name === 'manifest-signature' ? 'key-distrusted' : 'manifest-invalid';
    }
    if (this.meta.manifestTrusted !== this.trusted) {
      this.meta = { ...this.meta, manifestTrusted: this.trusted };
      await this.save();
    }
  }

  /** Verifies a manifest from the network against the security rules; throws the refusal. */
  async verifyNew(jws: string): Promise<Catalog> {
    const verified = await verifyManifest(jws, {
      trustedKeys: this.keyring,
      revokedKeyIds: this.revokedKeyIds(),
      minEpoch: Math.max(this.meta.highestEpoch, this.opts.appSecurityEpoch),
      now: this.opts.clock.now(),
      limits: this.opts.limits,
    });
    return Catalog.build(verified, this.opts.manifestUrl, this.allowed);
  }

  /** Whether the key of the stored manifest is revoked (by the app or `accepted`) or no longer trusted. */
  storedKeyDistrusted(accepted: Catalog | undefined): boolean {
    const stored = this.meta.manifest;
    if (!stored) return false;
    const distrusted = new Set([...this.revokedKeyIds(), ...(accepted?.manifest.revokedKeyIds ?? [])]);
    return distrusted.has(stored.kid) || !this.keyring.has(stored.kid);
  }

  /** From here on `accepted` is in force (written by the caller's next save()). */
  accept(accepted: Catalog): void {
    this.meta = {
      ...this.meta,
      manifest: { jws: accepted.verified.jws, kid: accepted.kid, epoch: accepted.epoch, url: this.opts.manifestUrl, acceptedAt: this.opts.clock.now() },
      highestEpoch: Math.max(this.meta.highestEpoch, accepted.epoch),
      revokedKeyIds: [...new Set([...this.meta.revokedKeyIds, ...(accepted.manifest.revokedKeyIds ?? [])])],
      manifestTrusted: true,
    };
    this.catalog = accepted;
    this.trusted = true;
    this.heldBackCause = undefined;
  }

  save(): Promise<void> {
    return this.store.writeMeta(this.meta);
  }
}
