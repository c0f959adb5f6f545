// Benchmarks: they measure and print; they are not timed tests. `npm run bench` runs all;
// `npm run bench -- reset throttle herd browser scale` picks some.
import { browserThroughput, printBrowserThroughput } from './browser-throughput.js';
import { printHerd, simulateHerd } from './herd.js';
import { DEFAULT_RESET_SCENARIO, printResetScenario, runResetScenario } from './reset-scenario.js';
import { largeCatalog, printLargeCatalog } from './scale.js';
import { engineVsRawFetch, printThrottle, printWire, throttleAccuracy, wireAccuracy } from './throttle.js';

const wanted = new Set(process.argv.slice(2));
const want = (name: string) => wanted.size === 0 || wanted.has(name);

console.log(`reprise benchmarks — ${new Date().toISOString()}, Node ${process.version}`);
if (want('throttle')) printThrottle(await throttleAccuracy(), await engineVsRawFetch());
if (want('throttle') || want('wire')) printWire(await wireAccuracy());
if (want('herd')) printHerd(simulateHerd({ windowSeconds: 900 }), simulateHerd({ windowSeconds: 0 }));
if (want('reset')) printResetScenario(await runResetScenario(DEFAULT_RESET_SCENARIO));
if (want('browser')) printBrowserThroughput(await browserThroughput());
if (want('scale')) printLargeCatalog(await largeCatalog());
