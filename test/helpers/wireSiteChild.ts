// The origin of one browser wire measurement (any engine), in a process of its own (see pageWire in
// wire.ts): argv[2] is the cap, argv[3] the seconds. Prints the site (page URL and options) as a
// JSON line, measures from the first media byte, prints the figures as a JSON line and exits.
import { startSite } from '../browser/harness.js';
import { WIRE_CHUNK, firstMediaByte, library, measure } from './wire.js';

const cap = Number(process.argv[2]);
const seconds = Number(process.argv[3]);
const lib = library(cap, seconds + 2);
const site = await startSite(lib.tracks, [{ id: 'p', trackIds: lib.ids, offline: true }], WIRE_CHUNK);
process.stdout.write(`${JSON.stringify({ url: site.url, options: site.options })}\n`);
const first = await firstMediaByte(site.origin, 60_000);
process.stdout.write(`${JSON.stringify(await measure(site.origin, first, seconds, cap, WIRE_CHUNK))}\n`);
await site.origin.close();
