import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFolder } from '../../../src/cli/makeFolder.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-mkdir-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('makeFolder', () => {
  it('makes every missing folder and accepts one that exists', async () => {
    await makeFolder(join(dir, 'a', 'b', 'c'));
    expect((await stat(join(dir, 'a', 'b', 'c'))).isDirectory()).toBe(true);
    await makeFolder(join(dir, 'a', 'b'));
  });

  it('ends with ENOENT where the kernel refuses (Node\'s recursive mkdir spins forever on /proc)', async () => {
    await expect(makeFolder('/proc/reprise/keys')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says EEXIST for a file at the path and ENOTDIR for a file above it', async () => {
    await writeFile(join(dir, 'f'), 'x');
    await expect(makeFolder(join(dir, 'f'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeFolder(join(dir, 'f', 'g'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
