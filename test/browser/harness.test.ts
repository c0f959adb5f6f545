import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { TestOrigin } from '../helpers/origin.js';
import { eachEngine } from './harness.js';

let origin: TestOrigin;
beforeAll(async () => {
  origin = await TestOrigin.start();
  origin.put(
    '/ui.html',
    `<!doctype html><title>ui</title><select id="s"><option value="a">A</option><option value="b">B</option></select>
<button id="b" onclick="window.clicks = (window.clicks || 0) + 1">go</button>
<script>document.getElementById('s').addEventListener('change', (e) => (window.chosen = e.target.value));</script>`,
    'text/html',
  );
});
afterAll(() => origin.close());

eachEngine('the harness drives each engine the same way', (suite) => {
  suite.test('clicks, selects, evaluates in two tabs at once, screenshots, and collects page errors', {}, async () => {
    const [one, two] = [await suite.browser.newPage(), await suite.browser.newPage()];
    await one.goto(`${origin.url}/ui.html`);
    await two.goto(`${origin.url}/ui.html`);
    await one.click('#b');
    await one.select('#s', 'b');
    expect(await one.evaluate(() => [(window as never as { clicks: number }).clicks, (window as never as { chosen: string }).chosen])).toEqual([1, 'b']);
    // Two page scripts at the same time, each waiting for the other tab's signal.
    const [a, b] = await Promise.all([
      one.evaluate(() => new Promise<string>((resolve) => new BroadcastChannel('t').addEventListener('message', (e) => resolve(`one got ${e.data}`)))),
      two.evaluate(async () => {
        const channel = new BroadcastChannel('t');
        for (let i = 0; i < 50; i++) {
          channel.postMessage('hello');
          await new Promise((r) => setTimeout(r, 20));
        }
        return 'two sent';
      }),
    ]);
    expect([a, b]).toEqual(['one got hello', 'two sent']);
    await expect(one.evaluate(() => Promise.reject(new Error('refused in the page')))).rejects.toThrow('refused in the page');
    await one.evaluate(() => {
      console.error('logged by the page');
      setTimeout(() => {
        throw new Error('thrown by the page');
      });
    });
    await one.waitForFunction(() => new Promise((r) => setTimeout(() => r(true), 50)));
    const errors = await one.errors();
    expect(errors).toEqual(expect.arrayContaining([expect.stringContaining('logged by the page'), expect.stringContaining('thrown by the page')]));
    const shot = join(tmpdir(), `reprise-${suite.engine.name}-${process.pid}.png`);
    await one.screenshot(shot);
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
    await rm(shot, { force: true });
    await one.close();
    await two.close();
  });
});
