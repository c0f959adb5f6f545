// Benchmarks: they measure and print; they are not timed tests. `npm run bench` runs the browser
// suite of issue 16 (Chromium; about 8 minutes on 2 cores) and writes its JSON under
// test/bench/results/. Pick lines by name: `npm run bench -- offline seek audit reset-browser
// library download-memory play-missing no-sw floor profile`; the Node benches: `-- throttle wire herd
// reset browser scale` (or `-- node` for all of them; `wire` also runs in Chromium, Firefox and
// WebKit, or the engines REPRISE_ENGINES names). BENCH_ROUNDS sets the rounds (default 3).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { browserThroughput, printBrowserThroughput } from './browser-throughput.js';
import { LINES, runBrowserSuite } from './browser-suite.js';
import { printHerd, simulateHerd } from './herd.js';
import { markdown } from './lib/table.js';
import { DEFAULT_RESET_SCENARIO, printResetScenario, runResetScenario } from './reset-scenario.js';
import { largeCatalog, printLargeCatalog } from './scale.js';
import { engineVsRawFetch, printThrottle, printWire, throttleAccuracy, wireAccuracy } from './throttle.js';

/** The Chromium the harness launches (its default and override). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NODE_BENCHES = ['throttle', 'wire', 'herd', 'reset', 'browser', 'scale'];
const args = process.argv.slice(2).flatMap((a) => (a === 'node' ? NODE_BENCHES : [a]));
const unknown = args.filter((a) => !NODE_BENCHES.includes(a) && !(a in LINES));
if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}: pick from ${[...Object.keys(LINES), ...NODE_BENCHES, 'node'].join(', ')}`);
const browserLines = args.length === 0 ? Object.keys(LINES) : args.filter((a) => a in LINES);
const want = (name: string) => args.includes(name);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
  uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(),
};
console.log(`reprise benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${machine.chromium}, ${machine.cores} × ${machine.cpu}`);
console.log(`  ${machine.uptime}`);

if (want('throttle')) printThrottle(await throttleAccuracy(), await engineVsRawFetch());
if (want('throttle') || want('wire')) {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return `${cmd}: not found`;
    }
  };
  console.log(`\n  ${version(process.env.FIREFOX_PATH ?? 'firefox-esr', ['--version'])}; WebKitGTK ${version('dpkg-query', ['-W', '-f', '${Version}', 'libwebkit2gtk-4.1-0'])}`);
  printWire(await wireAccuracy());
}
if (want('herd')) printHerd(simulateHerd({ windowSeconds: 900 }), simulateHerd({ windowSeconds: 0 }));
if (want('reset')) printResetScenario(await runResetScenario(DEFAULT_RESET_SCENARIO));
if (want('browser')) printBrowserThroughput(await browserThroughput());
if (want('scale')) printLargeCatalog(await largeCatalog());

if (browserLines.length) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  console.log(`\nBrowser suite (Chromium, ${rounds} rounds each, run one after another; ratio = reprise ÷ baseline per round, median [min–max]):`);
  const started = performance.now();
  const { raw, rows } = await runBrowserSuite(browserLines, rounds, (s) => console.log(s));
  console.log(`\n${markdown(rows)}`);
  type Profile = { ms: number; cpuMsByProcess: Record<string, number>; top: { fn: string; ms: number; share: number }[] };
  const profile = raw.profile as Record<string, Profile> | undefined;
  if (profile) {
    for (const [what, p] of Object.entries(profile)) {
      const cpu = Object.entries(p.cpuMsByProcess).filter(([, ms]) => ms > 0).map(([k, ms]) => `${k} ${ms}`).join(', ');
      console.log(`\nprofile, ${what} (${p.ms.toFixed(0)} ms${cpu ? `; CPU ms by process: ${cpu}` : ''}); top self time:`);
      for (const t of p.top.slice(0, 8)) console.log(`  ${t.share.toFixed(1).padStart(5)} %  ${t.ms.toFixed(0).padStart(5)} ms  ${t.fn}`);
    }
  }
  const result = { date: new Date().toISOString(), machine, uptimeAfter: execFileSync('uptime', { encoding: 'utf8' }).trim(), rounds, seconds: Math.round((performance.now() - started) / 1000), rows, raw };
  const dir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${result.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  if (args.length === 0) writeFileSync(`${dir}latest.json`, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\n${result.seconds} s; written ${file}${args.length === 0 ? ' and results/latest.json' : ''}`);
}
