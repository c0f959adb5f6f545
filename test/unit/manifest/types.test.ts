import { describe, expectTypeOf, it } from 'vitest';
import type { ParsedManifest, ParsedPlaylist, ParsedResyncHints } from '../../../src/manifest/schema.js';
import type { ParsedPublicJwk } from '../../../src/manifest/trustedKeys.js';
import type { Manifest, ManifestPlaylist, PublicJwk, ResyncHints } from '../../../src/manifest/types.js';

// The manifest's public types are plain interfaces; these hold them equal to what the schemas produce.
describe('the public manifest types match the schemas', () => {
  it('Manifest, playlists, resync hints', () => {
    expectTypeOf<Manifest>().toExtend<ParsedManifest>();
    expectTypeOf<ParsedManifest>().toExtend<Manifest>();
    expectTypeOf<keyof Manifest>().toEqualTypeOf<keyof ParsedManifest>();
    expectTypeOf<keyof Manifest['tracks'][number]>().toEqualTypeOf<keyof ParsedManifest['tracks'][number]>();
    expectTypeOf<ManifestPlaylist>().toExtend<ParsedPlaylist>();
    expectTypeOf<ParsedPlaylist>().toExtend<ManifestPlaylist>();
    expectTypeOf<keyof ManifestPlaylist>().toEqualTypeOf<keyof ParsedPlaylist>();
    expectTypeOf<ResyncHints>().toEqualTypeOf<ParsedResyncHints>();
  });
  it('PublicJwk', () => {
    expectTypeOf<PublicJwk>().toExtend<ParsedPublicJwk>();
    expectTypeOf<ParsedPublicJwk>().toExtend<PublicJwk>();
  });
});
