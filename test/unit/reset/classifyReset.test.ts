import { describe, expect, it } from 'vitest';
import { type ResetFacts, WINDOWED_KINDS, classifyReset } from '../../../src/reset/classifyReset.js';

const calm: ResetFacts = { stored: { kid: 'k1', epoch: 3 }, storedKeyDistrusted: false, newEpoch: 3, appSecurityEpoch: 0, neededChunks: 10, presentChunks: 10, lostChunks: 0, migratedFrom: undefined };

describe('classifyReset (docs/how-it-works.md "Reset detection": the first kind that applies, every one in reasons)', () => {
  it.each<[string, Partial<ResetFacts>, string, string[]]>([
    ['nothing changed', {}, 'none', ['none']],
    ['every needed chunk gone', { presentChunks: 0, lostChunks: 10 }, 'storage-lost', ['storage-lost']],
    ['a first install (nothing stored, no manifest before)', { stored: undefined, presentChunks: 0 }, 'storage-lost', ['storage-lost']],
    ['a first install with a high epoch is still storage-lost', { stored: undefined, presentChunks: 0, newEpoch: 9, appSecurityEpoch: 9 }, 'storage-lost', ['storage-lost']],
    ['the stored key is revoked', { storedKeyDistrusted: true }, 'key-revoked', ['key-revoked']],
    ['a higher manifest epoch', { newEpoch: 4 }, 'security-epoch', ['security-epoch']],
    ['the manifest could not be fetched: no epoch change', { newEpoch: undefined }, 'none', ['none']],
    ['a higher app epoch', { appSecurityEpoch: 4 }, 'app-epoch', ['app-epoch']],
    ['some chunks lost', { lostChunks: 2, presentChunks: 8 }, 'partial-loss', ['partial-loss']],
    ['a migrated store', { migratedFrom: 1 }, 'schema-upgrade', ['schema-upgrade']],
    ['revoked key and higher epoch: key-revoked first, both listed', { storedKeyDistrusted: true, newEpoch: 4 }, 'key-revoked', ['key-revoked', 'security-epoch']],
    ['everything at once, in table order', { presentChunks: 0, storedKeyDistrusted: true, newEpoch: 5, appSecurityEpoch: 5, lostChunks: 3, migratedFrom: 1 }, 'storage-lost', ['storage-lost', 'key-revoked', 'security-epoch', 'app-epoch', 'schema-upgrade']],
    ['security epoch with partial loss', { newEpoch: 4, lostChunks: 1, presentChunks: 9 }, 'security-epoch', ['security-epoch', 'partial-loss']],
  ])('%s → %s', (_what, facts, kind, reasons) => {
    expect(classifyReset({ ...calm, ...facts })).toEqual({ kind, reasons });
  });

  it('only key-revoked, security-epoch and app-epoch wait the reset window (storage-lost and partial-loss are the device\'s own)', () => {
    expect([...WINDOWED_KINDS].sort()).toEqual(['app-epoch', 'key-revoked', 'security-epoch']);
  });
});
