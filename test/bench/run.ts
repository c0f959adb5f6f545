// Benchmarks: they measure and print; they are not timed tests. `npm run bench` runs all;
// `npm run bench -- reset throttle herd throughput` picks some.
import { DEFAULT_RESET_SCENARIO, printResetScenario, runResetScenario } from './reset-scenario.js';

const wanted = new Set(process.argv.slice(2));
const want = (name: string) => wanted.size === 0 || wanted.has(name);

if (want('reset')) printResetScenario(await runResetScenario(DEFAULT_RESET_SCENARIO));
