import type { Catalog } from '../manifest/Catalog.js';
import type { Inventory } from './Inventory.js';

/**
 * A track of the manifest in force that `origin` serves, to ask for one byte when a refusal there
 * has no download left to judge it by (docs/authenticated-media.md): not refused by the manifest,
 * not waiting aside (`aside`), not ended by a failure; a track the device holds whole first (its
 * bytes were served to this device before).
 */
export function probeTarget(catalog: Catalog | undefined, inventory: Inventory, origin: string, aside: (trackId: string) => boolean): { trackId: string; url: string } | undefined {
  let fallback: { trackId: string; url: string } | undefined;
  for (const t of catalog?.tracks.values() ?? []) {
    if (t.origin !== origin || !t.url || t.refused || aside(t.entry.id) || inventory.failureOf(t)) continue;
    const target = { trackId: t.entry.id, url: t.url };
    if (t.chunks && inventory.isComplete(t)) return target;
    fallback ??= target;
  }
  return fallback;
}
