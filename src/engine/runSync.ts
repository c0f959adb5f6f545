import { isRepriseError, RepriseError } from '../errors/RepriseError.js';
import type { Catalog, CatalogTrack } from '../manifest/Catalog.js';
import { TaskSlicer } from '../manifest/v2/TaskSlicer.js';
import { FULL_AUDIT_KINDS, WINDOWED_KINDS, classifyReset } from '../reset/classifyReset.js';
import { resetWindowDelayMs } from '../scheduler/resetWindow.js';
import type { EngineParts } from './EngineParts.js';
import type { LoadedManifest } from '../manifest/v2/loadManifest.js';
import { awaitingChunkList } from './offlineSelection.js';
import type { ResetKind, SyncReport } from './types.js';

/**
 * One `sync()` (docs/how-it-works.md "Reset detection"): fetch and verify the manifest (a refusal changes
 * nothing), classify, accept, free what no offline playlist needs, audit what the kind requires
 * in priority order while downloads of audited tracks already start, and report.
 */
export async function runSync(parts: EngineParts): Promise<SyncReport> {
  const { opts, trust, inventory, audits, planner, recorder, budget, playback, state, scheduler } = parts;
  const started = opts.clock.now();
  // Every pass over the library runs in slices (docs/how-it-works.md "Responsiveness").
  const slicer = new TaskSlicer();
  state.set({ state: 'syncing' });
  const fetched = new Set<string>();
  const corrupt = new Set<string>();
  recorder.fetchedDuringSync = fetched;
  playback.onCorrupt = (d) => corrupt.add(d);
  try {
    const storedManifest = trust.meta.manifest;
    const fromEpoch = storedManifest?.epoch ?? 0;
    const firstInstall = storedManifest === undefined;
    const previous = trust.catalog;

    const loaded = await fetchAndVerify(parts);
    // The manifest came with fresh authorization: downloads paused for a refused one go on.
    if (loaded) scheduler.resume('unauthorized');
    const accepted = loaded?.status === 'accepted' ? loaded : undefined;
    // An unchanged root (304) needs no presence check of the chunk records (docs/how-it-works.md).
    if (loaded?.status !== 'unchanged') await inventory.refreshPresence(slicer);
    // Format 2: the chunk lists of the offline tracks and of those kept because they were played,
    // before anything is counted — also under an unchanged root (a playlist made offline since the
    // last sync has none yet).
    const listed = accepted?.catalog ?? (loaded && trust.servable ? trust.catalog : undefined);
    if (listed) await parts.chunkLists.ensure(listed, [...awaitingChunkList(inventory.selection(listed)), ...inventory.playedAwaitingChunkList(listed)], accepted ? previous : undefined);
    const inForce: Catalog = accepted?.catalog ?? trust.catalog!;
    const storedKeyDistrusted = trust.storedKeyDistrusted(accepted?.catalog);
    if (loaded) inventory.removed.clear();
    await slicer.check();
    const needed = inventory.neededTracks(inForce);
    await slicer.check();
    // One pass: the distinct chunks the offline playlists need, and how many are present.
    const neededDigests = new Set<string>();
    let presentChunks = 0;
    for (const [i, t] of needed.entries()) {
      for (const d of t.track.chunks) {
        if (neededDigests.has(d)) continue;
        neededDigests.add(d);
        if (inventory.have.has(d)) presentChunks++;
      }
      if ((i & 127) === 127) await slicer.check();
    }
    const lost = await inventory.lostChunks(needed, slicer);
    const { kind, reasons } = classifyReset({
      stored: storedManifest ? { kid: storedManifest.kid, epoch: storedManifest.epoch } : undefined,
      storedKeyDistrusted,
      newEpoch: loaded ? inForce.epoch : undefined,
      appSecurityEpoch: opts.appSecurityEpoch,
      neededChunks: neededDigests.size,
      presentChunks,
      lostChunks: lost.size,
      migratedFrom: trust.meta.migratedFrom,
    });

    if (accepted) {
      await trust.accept(accepted);
      parts.applyThrottle();
      await inventory.forgetFailures();
    }
    if (trust.meta.migratedFrom !== undefined) delete trust.meta.migratedFrom;
    const fullAudit = FULL_AUDIT_KINDS.includes(kind) || (reasons.some((r) => FULL_AUDIT_KINDS.includes(r)) && accepted !== undefined);
    if (fullAudit) await audits.begin(`${inForce.epoch}:${inForce.kid}`, accepted ? 'accepted' : 'stored');
    else await trust.save();
    // Unneeded content goes only once a manifest was accepted (storage invariant 3).
    if (accepted) {
      await budget.enforce();
      await budget.collectGarbage();
    }
    await slicer.check();
    // What the offline playlists need from here on (the budget may have released some): once.
    const neededNow = accepted || inForce !== trust.catalog ? inventory.neededTracks(trust.catalog) : needed;

    // A first install never waits the window; the device's own losses start at once.
    const windowMs = WINDOWED_KINDS.includes(kind) && !firstInstall ? resetWindowDelayMs(inForce.manifest.resync?.windowSeconds, opts.random) : 0;
    const replan = () => planner.replan({ windowMs: first ? windowMs : scheduler.windowRemaining() });
    let first = true;
    const audit = trust.meta.audit;
    const onCorrupt = (d: string) => corrupt.add(d);
    // Chunks the audit expected and found gone (deleted while the engine ran) are missing too.
    const onMissing = (d: string) => lost.add(d);
    if (audit && !audit.complete) {
      await audits.run({ id: audit.id, tracks: neededNow, resumable: true, onCorrupt, onMissing, replan: () => (replan(), (first = false)) });
      await audits.markComplete(audit.id);
    } else if (reasons.includes('partial-loss')) {
      // Only the tracks that lost chunks are re-hashed ("the stored chunks it concerns").
      const concerned = needed.filter((t) => t.track.chunks.some((d) => lost.has(d)));
      await audits.run({ id: `partial:${opts.clock.now()}`, tracks: concerned, resumable: false, onCorrupt, onMissing, replan: () => (replan(), (first = false)) });
    } else {
      replan();
    }
    if (neededNow.length > 0) void budget.askPersist().catch(() => {});
    await budget.refreshSpace();

    const report = await buildReport(parts, neededNow, slicer, { kind, reasons, fromEpoch, accepted: loaded !== undefined, started, corrupt: corrupt.size, missing: lost.size, fetched });
    if (kind !== 'none') parts.events.emit('reset', report);
    return report;
  } finally {
    recorder.fetchedDuringSync = undefined;
    playback.onCorrupt = undefined;
    state.set(undefined);
  }
}

/** The new manifest, verified; undefined when it is unreachable and a trusted one is stored. */
async function fetchAndVerify({ trust, inventory }: EngineParts): Promise<LoadedManifest | undefined> {
  try {
    return await trust.loadNew();
  } catch (error) {
    if (!isRepriseError(error, 'network')) throw error;
    if (trust.servable) return undefined;
    const stored = trust.meta.manifest;
    const details = { ...error.details, manifestUnreachable: true };
    if (stored) {
      const heldBack = inventory.heldBackTracks(trust.catalog, trust.trusted);
      const why = trust.heldBackCause === 'manifest-invalid' ? 'no longer passes this build\'s checks' : `is signed by key "${stored.kid}", which this build revoked or no longer trusts`;
      throw new RepriseError('network', `${error.message.split(' — ')[0]}; the stored manifest ${why}, so ${heldBack} tracks are held back until a new manifest verifies them (nothing was deleted)`, { ...details, heldBack }, { cause: error, hint: RETRY_HINT });
    }
    throw new RepriseError('network', error.message.split(' — ')[0]!, details, { cause: error, hint: RETRY_HINT });
  }
}

/** What happens after an unreachable manifest (ManifestRetry). */
export const RETRY_HINT = 'reprise asks for it again as soon as the device is back online, and every few minutes while the app is open; sync() also tries at once.';

interface ReportInput {
  kind: ResetKind;
  reasons: ResetKind[];
  fromEpoch: number;
  accepted: boolean;
  started: number;
  corrupt: number;
  missing: number;
  fetched: ReadonlySet<string>;
}

async function buildReport({ opts, trust, inventory }: EngineParts, needed: readonly CatalogTrack[], slicer: TaskSlicer, input: ReportInput): Promise<SyncReport> {
  const { kept, toFetch } = await inventory.contentTotalsSliced(needed, input.fetched, slicer);
  await slicer.check();
  return {
    kind: input.kind,
    reasons: input.reasons,
    fromEpoch: input.fromEpoch,
    toEpoch: trust.catalog?.epoch ?? input.fromEpoch,
    manifest: input.accepted ? 'accepted' : 'unreachable',
    kept,
    toFetch,
    corruptChunks: input.corrupt,
    missingChunks: input.missing,
    heldBack: { tracks: inventory.heldBackTracks(trust.catalog, trust.trusted) },
    refused: trust.catalog?.refused() ?? [],
    durationMs: opts.clock.now() - input.started,
  };
}
