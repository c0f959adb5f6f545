// Generates the demo catalog's MP3 files once (npm test runs it before the tests, so the demo's
// browser test does not pay for it inside its own time bound). Later runs find them cached.
import { join } from 'node:path';
import { loadAudio } from './music/loadAudio.js';

const dir = join(import.meta.dirname, '..', '.tmp', 'demo-audio');
const started = Date.now();
const files = await loadAudio(dir, (line) => console.log(`demo audio: ${line}`));
console.log(`demo audio: ${files.length} MP3 files ready in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
