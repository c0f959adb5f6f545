#!/usr/bin/env node
// The manifest tool. Built from src/cli by `npm run build` (dist/node/cli.js).
import { run } from '../dist/node/cli.js';

await run(process.argv.slice(2));
