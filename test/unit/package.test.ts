import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the package', () => {
  it('every export (types first) points at a built file', () => {
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      const targets = typeof target === 'string' ? { default: target } : target;
      if (typeof target !== 'string') expect(Object.keys(target)[0], entry).toBe('types');
      for (const file of Object.values(targets)) expect(existsSync(new URL(`../../${file}`, import.meta.url)), `${entry} → ${file}`).toBe(true);
    }
    expect(existsSync(new URL(`../../${pkg.bin.reprise}`, import.meta.url))).toBe(true);
  });

  it('the built engine imports by its package name in Node', async () => {
    const engine = await import('reprise/engine');
    expect(typeof engine.createCacheEngine).toBe('function');
    expect(engine.ERROR_CODES).toContain('integrity-mismatch');
    const error = await engine.createCacheEngine({ manifestUrl: 'https://x.example/m.jws', trustedKeys: [] }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'invalid-argument' });
  });

  it('the page client stays within its size budget (brotli)', () => {
    const sizes = JSON.parse(readFileSync(new URL('../../dist/sizes.json', import.meta.url), 'utf8')) as { bundle: string; brotli: number; budget: number }[];
    for (const s of sizes) expect(s.brotli, s.bundle).toBeLessThanOrEqual(s.budget);
    expect(sizes.find((s) => s.bundle === 'client.js')!.brotli).toBeLessThanOrEqual(6 * 1024);
  });
});
