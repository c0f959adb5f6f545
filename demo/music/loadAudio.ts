import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { composeSong } from './composeSong.js';
import { encodeMp3 } from './encodeMp3.js';
import { PLAYLISTS, type SongSpec } from './songs.js';

/** Bump when the synthesis or the encoding changes: cached files of another version are regenerated. */
const GENERATOR_VERSION = 3;

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
  // One ffmpeg per core at most; synthesis runs between them on the main thread.
  const lanes = Math.max(1, Math.min(2, cpus().length));
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < toMake.length) {
        const song = toMake[next++]!;
        const out = fileOf(song);
        const track = PLAYLISTS.find((p) => p.songs.includes(song))!.songs.indexOf(song) + 1;
        await encodeMp3(composeSong(song), { title: song.title, artist: song.artist, album: song.album, track }, out + '.part.mp3');
        renameSync(out + '.part.mp3', out);
      }
    }),
  );
  return songs.map((song) => ({ song, body: readFileSync(fileOf(song)) }));
}
