import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/util/redactUrl.js';

describe('redactUrl: URLs in messages and events carry no token', () => {
  it.each([
    ['https://cdn.example/t1.mp3', 'https://cdn.example/t1.mp3'],
    ['https://cdn.example/t1.mp3?exp=1&sig=SECRET', 'https://cdn.example/t1.mp3?…'],
    ['https://user:pass@cdn.example/t1.mp3#frag', 'https://cdn.example/t1.mp3?…'],
    ['not a url?token=SECRET', 'not a url'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toMatch(/SECRET|pass/);
  });
});
