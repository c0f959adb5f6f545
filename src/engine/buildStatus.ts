import { type Catalog, type CatalogTrack, chunkLength } from '../manifest/Catalog.js';
import type { ThrottleSettings } from '../scheduler/Scheduler.js';
import type { PlaylistRecord, TrackFailure, TrackRecord } from '../store/schema.js';
import { platformFeatures } from './platform.js';
import type { CacheStatus, EngineState, PlaylistStatus, TrackState, TrackStatus } from './types.js';

export interface StatusInput {
  catalog: Catalog | undefined;
  catalogTrusted: boolean;
  have: ReadonlySet<string>;
  choices: ReadonlyMap<string, PlaylistRecord>;
  trackRecords: ReadonlyMap<string, TrackRecord>;
  neededTracks: readonly CatalogTrack[];
  effectiveOffline(playlistId: string): { offline: boolean; source: 'device' | 'service' };
  failureOf(t: CatalogTrack): TrackFailure | undefined;
  queue: string[];
  isActive(jobTrackId: string): boolean;
  state: EngineState;
  securityEpoch: number;
  throttle: ThrottleSettings;
  storage: Omit<CacheStatus['storage'], 'bytesStored'>;
}

/** Bytes of a track's chunks that are stored. */
export function trackBytesDone(t: CatalogTrack, have: ReadonlySet<string>): number {
  let done = 0;
  t.chunks?.forEach((d, i) => {
    if (have.has(d)) done += chunkLength(t.entry, i);
  });
  return done;
}

/** The `status()` snapshot: every track and playlist of the manifest in force, with its state. */
export function buildStatus(input: StatusInput): CacheStatus {
  const { catalog, have } = input;
  const queued = new Set(input.queue);
  const needed = new Set(input.neededTracks.map((t) => t.entry.id));
  // The job of each content: the first needed track with it (one download serves them all).
  const jobOf = new Map<string, string>();
  for (const n of input.neededTracks) if (!jobOf.has(n.contentId)) jobOf.set(n.contentId, n.entry.id);
  let bytesStored = 0;
  const counted = new Set<string>();
  const tracks: TrackStatus[] = [];
  for (const t of catalog?.tracks.values() ?? []) {
    const bytesDone = trackBytesDone(t, have);
    t.chunks?.forEach((d, i) => {
      if (have.has(d) && !counted.has(d)) (counted.add(d), (bytesStored += chunkLength(t.entry, i)));
    });
    const failure = input.failureOf(t);
    const job = jobOf.get(t.contentId) ?? t.entry.id;
    let state: TrackState;
    if (t.refused) state = 'refused';
    else if (bytesDone === t.entry.size) state = 'complete';
    else if (failure) state = 'failed';
    else if (input.isActive(job)) state = 'downloading';
    else if (queued.has(job) && needed.has(t.entry.id)) state = 'queued';
    else if (!needed.has(t.entry.id)) state = 'online-only';
    else state = bytesDone > 0 ? 'partial' : 'missing';
    const problem = t.refused ?? failure;
    tracks.push({
      id: t.entry.id,
      title: t.entry.title,
      artist: t.entry.artist,
      state,
      bytesDone,
      bytesTotal: t.entry.size,
      ...(problem ? { failure: { code: problem.code, message: problem.message } } : {}),
    });
  }
  if (!input.catalogTrusted) {
    // No trusted manifest: nothing of the stored one is read. What the device itself recorded
    // as complete is listed, held back until a trusted manifest verifies it.
    for (const record of input.trackRecords.values()) {
      if (!record.completedContentId) continue;
      tracks.push({ id: record.id, state: 'held-back', bytesDone: record.bytes ?? 0, bytesTotal: record.bytes ?? 0 });
    }
  }
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const playlists: PlaylistStatus[] = [...(catalog?.playlists.values() ?? [])].map((p) => {
    const { offline, source } = input.effectiveOffline(p.id);
    const choice = input.choices.get(p.id);
    const ts = p.trackIds.map((id) => byId.get(id)!);
    return {
      id: p.id,
      name: p.name,
      offline,
      source,
      pinned: choice?.pinned ?? false,
      evicted: choice?.evicted ?? false,
      lastPlayedAt: choice?.lastPlayedAt ?? null,
      trackIds: [...p.trackIds],
      tracksComplete: ts.filter((t) => t.state === 'complete').length,
      bytesDone: ts.reduce((n, t) => n + t.bytesDone, 0),
      bytesTotal: ts.reduce((n, t) => n + t.bytesTotal, 0),
    };
  });
  return {
    state: input.state,
    manifest:
      catalog && input.catalogTrusted
        ? { epoch: catalog.epoch, kid: catalog.kid, issuedAt: catalog.manifest.issuedAt, expiresAt: catalog.manifest.expiresAt ?? null }
        : null,
    securityEpoch: input.securityEpoch,
    throttle: { maxConcurrent: input.throttle.maxConcurrent, bytesPerSecond: Number.isFinite(input.throttle.bytesPerSecond) ? input.throttle.bytesPerSecond : null },
    storage: { bytesStored, ...input.storage },
    platform: platformFeatures(),
    queue: input.queue,
    playlists,
    tracks,
  };
}
