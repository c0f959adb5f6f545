import { RepriseError } from '../errors/RepriseError.js';
import type { EngineParts } from './EngineParts.js';
import type { AuditReport } from './types.js';

/** `verify()`: re-hashes every stored chunk of the offline playlists now, against the manifest in force. */
export async function runVerify({ opts, trust, inventory, audits, planner, scheduler, state }: EngineParts): Promise<AuditReport> {
  if (!trust.servable) throw new RepriseError('not-cached', 'there is no trusted manifest to verify against; call sync() first');
  const started = opts.clock.now();
  const id = await audits.begin('verify', 'accepted');
  try {
    const result = await audits.run({
      id,
      tracks: inventory.neededTracks(trust.catalog),
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
