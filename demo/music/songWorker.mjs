// A thread that renders demo songs (loadAudio runs one per core): synthesis in JavaScript, then
// ffmpeg. Plain JavaScript because a worker thread does not inherit tsx's loader: it registers
// tsx itself, then loads the TypeScript that does the work.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { renderSong } = await import('./renderSong.ts');
parentPort.on('message', ({ song, tags, out }) => {
  renderSong(song, tags, out).then(
    () => parentPort.postMessage({ done: out }),
    (error) => parentPort.postMessage({ error: String(error?.message ?? error) }),
  );
});
