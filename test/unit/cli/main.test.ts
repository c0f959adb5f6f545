import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, USAGE, main } from '../../../src/cli/main.js';

const run = promisify(execFile);
const bin = join(process.cwd(), 'bin', 'reprise.js');
const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-main-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reprise (the bin)', () => {
  it('--version prints the package version and exits 0', async () => {
    const { stdout } = await run('node', [bin, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('usage lists every command; an unknown one exits 2', async () => {
    for (const name of Object.keys(COMMANDS)) expect(USAGE).toContain(`reprise ${name}`);
    const lines: string[] = [];
    expect(await main(['manifest', 'sign'], (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/unknown command "manifest sign"/);
  });

  it('runs the whole flow as the installed bin: keys, build, verify', async () => {
    await writeFile(join(dir, 'a.wav'), Buffer.alloc(70_000, 1));
    await run('node', [bin, 'keys', 'generate', '--kid', 'k1', '--out', join(dir, 'keys')]);
    const built = await run('node', [bin, 'manifest', 'build', dir, '--key', join(dir, 'keys', 'k1.private.jwk'), '--epoch', '2', '--playlist', 'Road trip=*.wav']);
    expect(built.stdout).toMatch(/playlist road-trip: "Road trip", 1 tracks/);
    const ok = await run('node', [bin, 'manifest', 'verify', join(dir, 'manifest.jws'), '--key', join(dir, 'keys', 'k1.public.jwk')]);
    expect(ok.stdout).toMatch(/ok: signed by k1, epoch 2, 1 tracks/);
  });

  it('errors exit 1 with the code and what to change, without the library\'s generic hint or a stack', async () => {
    const bad = await run('node', [bin, 'manifest', 'build', '/nonexistent']).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('reprise: invalid-argument: manifest build needs --key');
    const onFile = await run('node', [bin, 'keys', 'generate', '--out', bin]).catch((e) => e);
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toMatch(/^reprise: invalid-argument: cannot write keys into ".*reprise.js": a file of that name is in the way \(--out\)\n$/);
    const kid = await run('node', [bin, 'keys', 'generate', '--kid', 'bad kid!']).catch((e) => e);
    expect(kid.stderr).not.toMatch(/check the value passed to reprise|\n\s+at /);
  });
});
