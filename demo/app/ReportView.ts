import type { SyncReport } from '../../src/client/index.js';
import type { Damage } from './damageStore.js';
import { $, esc, mb, plural } from './format.js';

/** The last sync report, and — after a simulation — whether it accounts for exactly the damage done. */
export function renderReport(r: SyncReport, damage: Damage | null): void {
  const rows: [string, string][] = [
    ['kind', `<b>${r.kind}</b>`],
    ['reasons', r.reasons.join(', ')],
    ['epoch', `${r.fromEpoch} → ${r.toEpoch}`],
    ['manifest', r.manifest],
    ['kept', `${plural(r.kept.tracks, 'track')}, ${mb(r.kept.bytes)}`],
    ['to fetch', `${plural(r.toFetch.tracks, 'track')}, ${mb(r.toFetch.bytes)}`],
    ['corrupt chunks', String(r.corruptChunks)],
    ['missing chunks', String(r.missingChunks)],
    ['held back', plural(r.heldBack.tracks, 'track')],
    ['refused', r.refused.length ? r.refused.map((x) => `${esc(x.trackId)}: ${x.code}`).join(', ') : 'none'],
    ['took', `${r.durationMs} ms`],
  ];
  if (damage) {
    const ok = damage.corrupted.length === r.corruptChunks && damage.missingChunks === r.missingChunks;
    rows.push([
      'damage done',
      `<span class="${ok ? 'good' : 'bad'}">${plural(damage.corrupted.length, 'chunk')} corrupted, ${plural(damage.deleted.length, 'track')} deleted (${plural(damage.missingChunks, 'chunk')}) — ${ok ? 'the report counts exactly this' : 'the report counts something else'}</span>`,
    ]);
  }
  $('report').innerHTML = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('');
}
