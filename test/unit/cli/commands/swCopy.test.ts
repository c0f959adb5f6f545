import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/main.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reprise-sw-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reprise sw copy', () => {
  it('copies the built service worker to <dir>/sw.js, making the folder', async () => {
    const lines: string[] = [];
    expect(await main(['sw', 'copy', join(dir, 'public')], (l) => lines.push(l))).toBe(0);
    const built = await readFile(new URL('../../../../dist/browser/service-worker.js', import.meta.url));
    expect(await readFile(join(dir, 'public', 'sw.js'))).toEqual(built);
    expect(lines[0]).toMatch(/serviceWorker: \{ url: '\/sw.js' \}/);
  });

  it('takes another file name, not a path', async () => {
    expect(await main(['sw', 'copy', dir, '--name', 'reprise-sw.js'], () => {})).toBe(0);
    expect((await readFile(join(dir, 'reprise-sw.js'))).length).toBeGreaterThan(1000);
    await expect(main(['sw', 'copy', dir, '--name', '../x.js'], () => {})).rejects.toMatchObject({ name: 'invalid-argument', details: { path: 'name' } });
  });

  it('names the folder when it cannot write there', async () => {
    await expect(main(['sw', 'copy', '/proc/reprise'], () => {})).rejects.toThrow(/cannot make the folder "\/proc\/reprise"/);
  });
});
