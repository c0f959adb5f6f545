import { RepriseError, isRepriseError } from '../errors/RepriseError.js';
import { Catalog } from '../manifest/Catalog.js';
import type { ManifestLimits } from '../manifest/limits.js';
import type { KeyRing } from '../manifest/trustedKeys.js';
import { decodeParts } from '../manifest/v2/decodeParts.js';
import { type LoadedManifest, loadManifest } from '../manifest/v2/loadManifest.js';
import { resolveRootUrls } from '../manifest/v2/resolveRootUrls.js';
import { TaskSlicer } from '../manifest/v2/TaskSlicer.js';
import { acceptRoot, verifyRoot } from '../manifest/v2/verifyRoot.js';
import { decodeWithTrustedKey } from '../manifest/verifyJws.js';
import { verifyManifest } from '../manifest/verifyManifest.js';
import { type MetaRecord, servedManifestJws } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { ResolvedOptions } from './options.js';

/** Limits guard what comes from the network; a manifest this device already accepted is not re-judged by them. */
const STORED_LIMITS: ManifestLimits = { maxManifestBytes: Infinity, maxTracks: Infinity, maxTrackBytes: Infinity, maxRootBytes: Infinity, maxPartBytes: Infinity };

/** Bytes of manifest parts written in one transaction when a root is accepted. */
const PART_BATCH_BYTES = 1024 * 1024;

/** Why the stored manifest is not in force (everything it lists is held back). */
export type HeldBackCause = 'key-distrusted' | 'manifest-invalid';

/**
 * The manifest in force and the security state around it (docs/how-it-works.md "Security rules"): the
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
  ) {
    this.served = servedManifestJws(meta);
  }

  /** A trusted manifest is in force: tracks can be served. */
  get servable(): boolean {
    return this.catalog !== undefined && this.trusted;
  }

  /** Downloads may start: nothing is fetched on the word of a manifest this build considers outdated (offline app-epoch). */
  get mayFetch(): boolean {
    return this.servable && this.catalog!.epoch >= this.opts.appSecurityEpoch;
  }

  /** The manifest in force passes rule 2 now (its expiry, the app's security epoch): a 304 may keep it. */
  private stillAcceptable(): boolean {
    if (!this.servable) return false;
    const { expiresAt } = this.catalog!.manifest;
    return this.catalog!.epoch >= this.opts.appSecurityEpoch && (expiresAt === undefined || Date.parse(expiresAt) > this.opts.clock.now());
  }

  revokedKeyIds(): Set<string> {
    return new Set([...this.opts.revokedKeyIds, ...this.meta.revokedKeyIds]);
  }

  /**
   * Re-verifies the stored manifest's signature (the store is not trusted more than the network)
   * and, for format 2, its parts' hashes. Only a refusal of the manifest itself holds the library
   * back; a storage failure rejects.
   */
  async loadStored(): Promise<void> {
    const stored = this.meta.manifest;
    if (!stored) return;
    try {
      this.catalog = await this.rebuildStored(stored.jws, stored.url, stored.format ?? 1, stored.verified?.payloadSha256);
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

  private async rebuildStored(jws: string, url: string, format: 1 | 2, verifiedPayloadSha256: string | undefined): Promise<Catalog> {
    // It was accepted at its time: rollback and expiry apply to new manifests.
    const ctx = { trustedKeys: this.keyring, revokedKeyIds: this.revokedKeyIds(), minEpoch: 0, now: 0, limits: STORED_LIMITS };
    const slicer = new TaskSlicer();
    if (format === 1) return Catalog.build(await verifyManifest(jws, ctx, slicer), url, this.allowed, slicer);
    // A root this device verified (the same payload, its key still trusted): not verified again.
    // The payload's SHA-256 is computed by acceptRoot() anyway: it is compared with the record.
    const unverified = verifiedPayloadSha256 === undefined ? undefined : decodeWithTrustedKey(jws, ctx);
    const reused = unverified && (await acceptRoot(unverified, ctx).catch(() => undefined));
    const verified = reused?.payloadSha256 === verifiedPayloadSha256 && reused ? reused : await verifyRoot(jws, ctx);
    const resolved = resolveRootUrls(verified, url, this.allowed);
    const bodies = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const part of resolved.parts) {
      const body = await this.store.getPart(part.sha256);
      if (!body) throw new RepriseError('manifest-invalid', `part ${part.index} of the stored manifest is not on the device; the next sync() fetches it again`);
      bodies.set(part.sha256, new Uint8Array(body));
    }
    const decoded = await decodeParts(resolved.parts, bodies, { limits: STORED_LIMITS, slicer });
    return Catalog.buildV2(verified, resolved, decoded, url, this.allowed, slicer);
  }

  /**
   * Fetches and verifies the manifest (either format) against the security rules; throws the
   * refusal. `unchanged` when the server answered 304 to the validator of the manifest in force.
   */
  loadNew(): Promise<LoadedManifest> {
    const { meta, opts } = this;
    return loadManifest({
      manifestUrl: opts.manifestUrl,
      fetch: opts.fetch,
      credentials: opts.credentials,
      authorize: opts.authorize,
      allowed: this.allowed,
      stall: { ms: opts.stallTimeoutMs, clock: opts.clock },
      // A 304 keeps the manifest in force: only ask for one when there is one in force that would
      // still be accepted now — not expired, not below the app's security epoch (rule 2) —, else
      // the server's copy is fetched and judged in full.
      etag: this.stillAcceptable() ? meta.manifest?.etag : undefined,
      heldParts: async (sha) => {
        const body = await this.store.getPart(sha);
        return body ? new Uint8Array(body) : undefined;
      },
      verify: {
        trustedKeys: this.keyring,
        revokedKeyIds: this.revokedKeyIds(),
        minEpoch: Math.max(meta.highestEpoch, opts.appSecurityEpoch),
        now: opts.clock.now(),
        limits: opts.limits,
        formatTwoEpoch: meta.formatTwoEpoch,
        lastVersion: (subject) => meta.versions?.[subject ?? ''],
      },
      slicer: new TaskSlicer(),
    });
  }

  /** Whether the key of the stored manifest is revoked (by the app or `accepted`) or no longer trusted. */
  storedKeyDistrusted(accepted: Catalog | undefined): boolean {
    const stored = this.meta.manifest;
    if (!stored) return false;
    const distrusted = new Set([...this.revokedKeyIds(), ...(accepted?.manifest.revokedKeyIds ?? [])]);
    return distrusted.has(stored.kid) || !this.keyring.has(stored.kid);
  }

  /**
   * From here on the loaded manifest is in force: its parts are stored now (format 2), the rest
   * with the caller's next save().
   */
  async accept(loaded: Extract<LoadedManifest, { status: 'accepted' }>): Promise<void> {
    const { catalog, document } = loaded;
    const meta = { ...this.meta };
    if (document.format === 2) {
      const pinned = new Set(document.root.parts.map((p) => p.sha256));
      // The new parts in transactions of about 1 MiB (one structured clone of 20 MB is one long
      // task), keeping the stored root's parts until the last one drops what no root pins.
      const kept = new Set([...pinned, ...this.storedPartHashes()]);
      let batch = new Map<string, ArrayBuffer>();
      let bytes = 0;
      for (const [sha, body] of loaded.newParts) {
        batch.set(sha, body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body.buffer : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        bytes += body.byteLength;
        if (bytes < PART_BATCH_BYTES) continue;
        await this.store.replaceParts(batch, kept);
        batch = new Map();
        bytes = 0;
      }
      await this.store.replaceParts(batch, pinned);
      meta.formatTwoEpoch = Math.max(meta.formatTwoEpoch ?? 0, catalog.epoch);
      meta.versions = { ...meta.versions, [document.root.subject ?? '']: { version: document.root.version, payloadSha256: document.payloadSha256 } };
    }
    this.meta = {
      ...meta,
      manifest: {
        jws: document.jws,
        kid: catalog.kid,
        epoch: catalog.epoch,
        url: this.opts.manifestUrl,
        acceptedAt: this.opts.clock.now(),
        format: document.format,
        ...(loaded.etag !== undefined ? { etag: loaded.etag } : {}),
        // Format 2: what was verified, and when (a reload does not verify that text again).
        ...(document.format === 2 ? { verified: { payloadSha256: document.payloadSha256, at: this.opts.clock.now() } } : {}),
      },
      highestEpoch: Math.max(meta.highestEpoch, catalog.epoch),
      revokedKeyIds: [...new Set([...meta.revokedKeyIds, ...(catalog.manifest.revokedKeyIds ?? [])])],
      manifestTrusted: true,
    };
    this.catalog = catalog;
    this.trusted = true;
    this.heldBackCause = undefined;
  }

  /** The parts the stored root pins (none for format 1). */
  private storedPartHashes(): string[] {
    const stored = this.catalog?.verified;
    return stored && 'root' in stored ? stored.root.parts.map((p) => p.sha256) : [];
  }

  /**
   * Called after a write of the state that changed what readers serve from (a manifest accepted,
   * held back or trusted again): the engine tells the service worker to read it now. Audit marks
   * and an unchanged sync do not call it.
   */
  onServedManifestChanged: (() => void) | undefined;
  /** What readers served from at the last write (or as the store held it when the engine opened). */
  private served: string | undefined;

  /** `clear()`: format 2's root versions are forgotten (not epochs, not revoked keys): another account's lower version is no rollback. */
  async forgetVersions(): Promise<void> {
    if (!this.meta.versions) return;
    const { versions: _, ...rest } = this.meta;
    this.meta = rest;
    await this.save();
  }

  async save(): Promise<void> {
    await this.store.writeMeta(this.meta);
    const served = servedManifestJws(this.meta);
    if (served === this.served) return;
    this.served = served;
    this.onServedManifestChanged?.();
  }
}
