import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/main.js';

let dir: string;
const cli = (...args: string[]) => main(args, () => {});
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reprise keys generate', () => {
  it('writes a private JWK (mode 600) and a public JWK with the same kid', async () => {
    expect(await cli('keys', 'generate', '--kid', 'k-2026-11', '--out', join(dir, 'keys'))).toBe(0);
    const priv = JSON.parse(await readFile(join(dir, 'keys', 'k-2026-11.private.jwk'), 'utf8'));
    const pub = JSON.parse(await readFile(join(dir, 'keys', 'k-2026-11.public.jwk'), 'utf8'));
    expect(priv).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'k-2026-11', alg: 'ES256' });
    expect(priv.d).toBeTypeOf('string');
    expect(pub.d).toBeUndefined();
    expect(pub.kid).toBe('k-2026-11');
    expect((await stat(join(dir, 'keys', 'k-2026-11.private.jwk'))).mode & 0o777).toBe(0o600);
  });

  it('never overwrites a key', async () => {
    const before = await readFile(join(dir, 'keys', 'k-2026-11.private.jwk'), 'utf8');
    const error = await cli('keys', 'generate', '--kid', 'k-2026-11', '--out', join(dir, 'keys')).catch((e) => e);
    expect(error.message).toMatch(/already exists: reprise never overwrites a key/);
    expect(await readFile(join(dir, 'keys', 'k-2026-11.private.jwk'), 'utf8')).toBe(before);
  });

  it.each(['bad kid!', '', 'x'.repeat(129), 'ключ'])('refuses the kid %j (1–128 of A-Z a-z 0-9 . _ : -)', async (kid) => {
    const error = await cli('keys', 'generate', '--kid', kid, '--out', join(dir, 'refused')).catch((e) => e);
    expect(error).toMatchObject({ name: 'invalid-argument', details: { path: 'kid' } });
    expect(error.message).toMatch(/must be 1–128 characters of A-Z a-z 0-9 \. _ : - \(not "\." or "\.\."\)/);
    await expect(stat(join(dir, 'refused'))).rejects.toThrow(/ENOENT/);
  });

  it('fails at once, naming the path, when --out is a file or cannot be written', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    const started = performance.now();
    const onFile = await cli('keys', 'generate', '--out', join(dir, 'a-file')).catch((e) => e);
    expect(onFile).toMatchObject({ name: 'invalid-argument', details: { path: '--out' } });
    expect(onFile.message).toMatch(/cannot write keys into ".*a-file": a file of that name is in the way \(--out\)/);
    const below = await cli('keys', 'generate', '--out', join(dir, 'a-file', 'keys')).catch((e) => e);
    expect(below.message).toMatch(/part of the path is a file, not a folder/);
    const unwritable = await cli('keys', 'generate', '--out', '/proc/reprise-keys').catch((e) => e);
    expect(unwritable.message).toMatch(/cannot write keys into "\/proc\/reprise-keys"/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('prints both keys without --out', async () => {
    const lines: string[] = [];
    expect(await main(['keys', 'generate', '--kid', 'k.1_a:b-c'], (l) => lines.push(l))).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ private: { kid: 'k.1_a:b-c' }, public: { kid: 'k.1_a:b-c' } });
  });
});
