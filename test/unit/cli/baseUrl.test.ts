import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../../../src/cli/baseUrl.js';

describe('resolveBaseUrl', () => {
  it.each([
    ['media', 'media/manifest.jws', undefined, ''],
    ['public/media', 'public/manifest.jws', undefined, 'media/'],
    ['public/media/road', 'public/offline/manifest.jws', undefined, '../media/road/'],
    ['media', 'media/manifest.jws', '', ''],
    ['public/media', 'public/manifest.jws', 'media', 'media/'],
    ['media', 'media/manifest.jws', 'https://cdn.example/m/', 'https://cdn.example/m/'],
    ['media', 'media/manifest.jws', '/media/', '/media/'],
  ])('media %j, manifest %j, --base-url %j → %j', (dir, out, given, expected) => {
    expect(resolveBaseUrl(dir, out, given)).toBe(expected);
  });

  it('refuses the doubled folder (the manifest in media/ with --base-url media/)', () => {
    expect(() => resolveBaseUrl('media', 'media/manifest.jws', 'media/')).toThrow(/points at "media\/media", not the media folder "media"/);
  });
});
