import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../src/engine/Inventory.js';
import type { Store } from '../../../src/store/Store.js';
import type { TrackRecord } from '../../../src/store/schema.js';

describe('Inventory', () => {
  it('forgetFailures() writes each record as it is then: a play noted while it runs keeps its lastPlayedAt', async () => {
    // Each write takes a few milliseconds, as IndexedDB's do behind a resync.
    const written: TrackRecord[] = [];
    const store = { putTrack: async (r: TrackRecord) => void (await new Promise((res) => setTimeout(res, 5)), written.push(r)), putPlaylist: async () => {} } as unknown as Store;
    const failure = { code: 'network' as const, message: 'gave up', at: 1, contentId: 'c', gaveUp: true };
    const inventory = new Inventory(store, [], [], [{ id: 'a', failure }, { id: 'b', failure }]);
    const forgetting = inventory.forgetFailures((f) => f.code === 'network');
    await new Promise((res) => setTimeout(res, 1)); // a's write under way
    await inventory.notePlay('b', undefined, 42);
    expect(await forgetting).toBe(2);
    expect(inventory.trackRecords.get('b')).toEqual({ id: 'b', lastPlayedAt: 42 });
    expect(written.at(-1)).toEqual({ id: 'b', lastPlayedAt: 42 });
  });
});
