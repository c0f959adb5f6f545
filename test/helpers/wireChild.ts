// Runs one Node wire measurement in a process of its own (see nodeWireInChild in wire.ts):
// argv[2] is the cap in bytes per second, argv[3] the seconds; prints the figures as JSON.
import 'fake-indexeddb/auto';
import { nodeWire } from './wire.js';

const figures = await nodeWire(Number(process.argv[2]), { seconds: Number(process.argv[3]) });
process.stdout.write(`${JSON.stringify(figures)}\n`);
