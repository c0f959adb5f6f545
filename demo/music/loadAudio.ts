import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Tags } from './encodeMp3.js';
import { PLAYLISTS, type SongSpec } from './songs.js';

/** Bump when the synthesis or the encoding changes: cached files of another version are regenerated. */
const GENERATOR_VERSION = 4;

export interface AudioFile {
  song: SongSpec;
  body: Buffer;
}

/**
 * The catalog's MP3 files, generated once into `dir` (synthesised, then encoded by ffmpeg) and
 * read from there on later starts. A file's name carries a hash of its spec and the generator
 * version, so a changed song is regenerated and stale files are removed.
 */
export async function loadAudio(dir: string, log: (line: string) => void = () => {}): Promise<AudioFile[]> {
  mkdirSync(dir, { recursive: true });
  const songs = PLAYLISTS.flatMap((p) => p.songs);
  const fileOf = (s: SongSpec) => join(dir, `${s.id}.${createHash('sha256').update(JSON.stringify([GENERATOR_VERSION, s])).digest('hex').slice(0, 12)}.mp3`);
  const wanted = new Set(songs.map(fileOf));
  for (const name of readdirSync(dir)) if (!wanted.has(join(dir, name))) rmSync(join(dir, name), { force: true });

  const toMake = songs.filter((s) => !existsSync(fileOf(s)));
  if (toMake.length) log(`generating ${toMake.length} MP3 files into ${dir} (once; later starts reuse them)…`);
  // One thread per core at most, each rendering one song at a time (synthesis, then its ffmpeg);
  // none when every file is there (a later start).
  const lanes = Math.min(2, Math.max(1, cpus().length), toMake.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      const worker = new Worker(new URL('./songWorker.mjs', import.meta.url));
      try {
        while (next < toMake.length) {
          const song = toMake[next++]!;
          const track = PLAYLISTS.find((p) => p.songs.includes(song))!.songs.indexOf(song) + 1;
          await render(worker, { song, tags: { title: song.title, artist: song.artist, album: song.album, track }, out: fileOf(song) });
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return songs.map((song) => ({ song, body: readFileSync(fileOf(song)) }));
}

/** One song rendered by a song worker (songWorker.mjs): resolves when its file is written. */
function render(worker: Worker, job: { song: SongSpec; tags: Tags; out: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (m: { done?: string; error?: string }) => {
      worker.off('error', failed);
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve();
    };
    const failed = (error: Error) => {
      worker.off('message', done);
      reject(error);
    };
    worker.once('message', done);
    worker.once('error', failed);
    worker.postMessage(job);
  });
}
