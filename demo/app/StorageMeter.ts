import type { CacheStatus } from '../../src/client/index.js';
import { $, mb, size } from './format.js';

/** How much this device holds: offline music, the origin's usage against its quota (where the engine reports it), persisted or not. */
export function renderStorage(s: CacheStatus['storage']): void {
  const quota = s.quota ?? null;
  const used = s.usage ?? s.bytesStored;
  $('storage-bar').style.width = quota ? `${Math.min(100, (100 * used) / quota)}%` : '0%';
  $('storage-music').style.width = quota ? `${Math.min(100, (100 * s.bytesStored) / quota)}%` : '0%';
  $('storage-text').innerHTML = [
    `<b>${mb(s.bytesStored)}</b> of music`,
    s.usage !== null ? `${size(s.usage)} used by the site` : 'usage not reported by this browser',
    quota !== null ? `quota ${size(quota)}` : 'quota not reported',
    s.persisted === null ? 'persistence unknown' : s.persisted ? 'persisted (not evicted under pressure)' : 'not persisted (the browser may evict it)',
  ].join(' · ');
}
