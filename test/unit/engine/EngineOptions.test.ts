import { describe, expectTypeOf, it } from 'vitest';
import type { EngineOptions, ThrottleOptions } from '../../../src/engine/EngineOptions.js';
import type { ParsedEngineOptions, ParsedThrottleOptions } from '../../../src/engine/options.js';

// The package's types are plain interfaces (no schema library for apps to install); the schemas
// are what checks options at run time. These hold the two equal: a field added to one and not
// the other fails `npm run typecheck` and this test.
describe('the public option types match what the schemas accept', () => {
  it('EngineOptions', () => {
    expectTypeOf<EngineOptions>().toExtend<ParsedEngineOptions>();
    expectTypeOf<ParsedEngineOptions>().toExtend<EngineOptions>();
    expectTypeOf<keyof EngineOptions>().toEqualTypeOf<keyof ParsedEngineOptions>();
  });
  it('ThrottleOptions', () => {
    expectTypeOf<ThrottleOptions>().toEqualTypeOf<ParsedThrottleOptions>();
  });
});
