import { RepriseError } from '../errors/RepriseError.js';
import type { EngineParts } from './EngineParts.js';
import type { AuditReport } from './types.js';

/**
 * `verify()`: re-hashes every stored chunk of the content the device keeps — the offline
 * playlists', and what was kept because it was played — now, against the manifest in force. A
 * chunk that fails is deleted; an offline track's is fetched again, a played one's when it is
 * played next.
 */
export async function runVerify({ opts, trust, inventory, audits, planner, scheduler, state }: EngineParts): Promise<AuditReport> {
  if (!trust.servable) throw new RepriseError('not-cached', 'there is no trusted manifest to verify against; call sync() first');
  const started = opts.clock.now();
  const id = await audits.begin('verify', 'accepted');
  const needed = inventory.neededTracks(trust.catalog);
  const neededIds = new Set(needed.map((t) => t.entry.id));
  try {
    const result = await audits.run({
      id,
      tracks: [...needed, ...inventory.playedTracks(trust.catalog).filter((t) => !neededIds.has(t.entry.id))],
      resumable: true,
      replan: () => planner.replan({ windowMs: scheduler.windowRemaining() }),
    });
    await audits.markComplete(id);
    return {
      chunksChecked: result.checked,
      bytesChecked: result.bytesChecked,
      corruptChunks: result.corrupt.length,
      ...inventory.contentTotals(inventory.neededTracks(trust.catalog)),
      durationMs: opts.clock.now() - started,
    };
  } finally {
    state.set(undefined);
  }
}
