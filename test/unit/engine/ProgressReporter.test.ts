import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/engine/Emitter.js';
import { ProgressReporter } from '../../../src/engine/ProgressReporter.js';
import type { CacheEvents, ProgressEvent } from '../../../src/engine/types.js';
import type { Catalog, CatalogTrack } from '../../../src/manifest/Catalog.js';
import { RateMeter } from '../../../src/scheduler/RateMeter.js';
import { ManualClock, settle } from '../../helpers/ManualClock.js';

const C = 1000;
const track = (id: string, chunks: number): CatalogTrack =>
  ((track) => ({ track, entry: track, chunks: track.chunks, contentId: id }))({ id, size: chunks * C, chunkSize: C, chunks: Array.from({ length: chunks }, (_, i) => `${id}-${i}`) }) as unknown as CatalogTrack;

function harness(cap = Infinity) {
  const clock = new ManualClock();
  const events = new Emitter<CacheEvents>();
  const have = new Set<string>();
  const tracks = [track('a', 2), track('b', 2)];
  const catalog = { tracks: new Map(tracks.map((t) => [t.track.id, t])) } as unknown as Catalog;
  const reporter = new ProgressReporter(clock, new RateMeter(), events, () => ({ catalog, have }), () => cap);
  const seen: ProgressEvent[] = [];
  events.on('progress', (p) => seen.push(p));
  const store = async (digest: string, trackId: string) => {
    have.add(digest);
    reporter.stored(digest);
    reporter.schedule(trackId);
    await clock.advance(200);
  };
  return { clock, events, have, tracks, reporter, seen, store };
}

describe('ProgressReporter', () => {
  it('shows the total only after the last track-complete, and then with ETA 0', async () => {
    const { events, tracks, reporter, seen, store } = harness();
    reporter.plan(tracks, new Set());
    for (const d of ['a-0', 'a-1', 'b-0']) await store(d, d[0]!);
    events.emit('track-complete', { trackId: 'a' });
    await store('b-1', 'b'); // every byte stored, b not reported complete yet
    expect(seen.every((p) => p.overall.bytesDone < p.overall.bytesTotal)).toBe(true);
    expect(seen.some((p) => p.overall.etaSeconds === 0)).toBe(false);
    events.emit('track-complete', { trackId: 'b' });
    await settle();
    expect(seen.at(-1)!.overall).toMatchObject({ bytesDone: 4 * C, bytesTotal: 4 * C, etaSeconds: 0 });
  });

  it('a replan while the job runs keeps its completed tracks: the total stays, the done bytes never go back', async () => {
    const { events, tracks, have, reporter, seen, store } = harness();
    reporter.plan(tracks, new Set());
    await store('a-0', 'a');
    await store('a-1', 'a');
    events.emit('track-complete', { trackId: 'a' });
    reporter.plan([tracks[1]!], have); // the planner leaves complete tracks out
    await store('b-0', 'b');
    expect(seen.map((p) => p.overall.bytesTotal)).toEqual(seen.map(() => 4 * C));
    expect(seen.map((p) => p.overall.bytesDone)).toEqual([C, 2 * C, 3 * C]);
  });

  it('the rate is measured over stored bytes and never shows more than the cap', async () => {
    const { tracks, reporter, seen, store } = harness(500);
    reporter.plan(tracks, new Set());
    for (const d of ['a-0', 'a-1', 'b-0']) await store(d, d[0]!); // 3000 bytes in 0.6 s
    expect(seen.length).toBe(3);
    expect(Math.max(...seen.map((p) => p.overall.bytesPerSecond))).toBe(500);
    const uncapped = harness();
    uncapped.reporter.plan(uncapped.tracks, new Set());
    await uncapped.store('a-0', 'a');
    expect(uncapped.seen[0]!.overall.bytesPerSecond).toBe(C); // one chunk over the meter's 1 s floor
  });
});
