// Found by test/browser/quota.test.ts in Chromium with a real quota: on a full device, getTrack()
// failed recording the play, and remove() — the remedy the error names — failed writing its record.
import { afterEach, expect, it } from 'vitest';
import { CHUNK, bytesOf, openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';
import { simulateQuota } from '../helpers/quota.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

it('a full device still plays what it holds: getTrack() of a complete track succeeds when recording the play does not fit', async () => {
  const origin = await TestOrigin.start();
  cleanup.push(() => origin.close());
  const body = bytesOf('full-play', CHUNK * 2 + 7);
  await publish(origin, { tracks: [{ id: 'a', body }], playlists: [{ id: 'p', trackIds: ['a'], offline: true }] });
  const quota = simulateQuota(Infinity, { allStores: true });
  cleanup.push(async () => quota.restore());
  const engine = await openEngine(origin);
  cleanup.push(() => engine.close());
  await engine.sync();
  await engine.idle();
  expect((await engine.status()).tracks[0]!.state).toBe('complete');
  quota.limit = quota.used(); // full: no record, however small, fits any more
  const bytes = Buffer.from(await (await engine.getTrack('a')).arrayBuffer());
  expect(bytes.equals(body)).toBe(true);
});

it('remove() frees space on a full device: the playlist record that does not fit is written once its content is deleted', async () => {
  const origin = await TestOrigin.start();
  cleanup.push(() => origin.close());
  const a = bytesOf('full-remove-a', CHUNK * 3);
  await publish(origin, { tracks: [{ id: 'a', body: a }], playlists: [{ id: 'p', trackIds: ['a'] }] });
  const quota = simulateQuota(Infinity, { allStores: true });
  cleanup.push(async () => quota.restore());
  const engine = await openEngine(origin);
  cleanup.push(() => engine.close());
  await engine.sync();
  await engine.setOffline('p', true);
  await engine.idle();
  // The quota shrank below what the origin holds (the disk filled up): as in Chromium, every write fails.
  quota.limit = quota.used() - 1024;
  await engine.remove('p');
  const status = await engine.status();
  expect(status.storage.bytesStored).toBe(0);
  expect(status.playlists[0]).toMatchObject({ id: 'p', offline: false });
});
