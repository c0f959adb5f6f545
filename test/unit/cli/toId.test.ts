import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toId } from '../../../src/cli/toId.js';
import { ID_PATTERN } from '../../../src/manifest/schema.js';

describe('toId (the manifest tool\'s documented id rule)', () => {
  it.each([
    ['Road trip', 'road-trip'],
    ['road/Été à Paris', 'road-ete-a-paris'],
    ['  --Intro!!  ', 'intro'],
    ['v1.2_mix:live', 'v1.2_mix:live'],
    ['日本', 'x'],
    ['.', 'x'], // a file named "..mp3": "." and ".." are no ids (a URL path drops them)
    ['..', 'x'],
    ['...', '...'],
  ])('%j → %j', (name, id) => expect(toId(name)).toBe(id));

  it('always yields a valid manifest id, and is stable (the same name, the same id)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (name) => {
      const id = toId(name);
      expect(id).toMatch(ID_PATTERN);
      expect(id.endsWith('-')).toBe(false);
      expect(toId(name)).toBe(id);
    }));
  });
});
