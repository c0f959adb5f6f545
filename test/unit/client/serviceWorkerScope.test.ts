import { describe, expect, it } from 'vitest';
import { serviceWorkerScope } from '../../../src/client/connectServiceWorker.js';

describe('serviceWorkerScope (as register() resolves it)', () => {
  it("a scope given is relative to the page; none is the script's directory", () => {
    const script = 'https://app.test/player/sw/sw.js';
    const page = 'https://app.test/player/index.html';
    expect(serviceWorkerScope('./', script, page)).toBe('https://app.test/player/');
    expect(serviceWorkerScope('/player/', script, page)).toBe('https://app.test/player/');
    expect(serviceWorkerScope(undefined, script, page)).toBe('https://app.test/player/sw/');
  });
});
