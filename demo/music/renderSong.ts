import { renameSync } from 'node:fs';
import { composeSong } from './composeSong.js';
import { encodeMp3, type Tags } from './encodeMp3.js';
import type { SongSpec } from './songs.js';

/** Synthesises a song and encodes it to `out` (written beside it first, then renamed: no half file). */
export async function renderSong(song: SongSpec, tags: Tags, out: string): Promise<void> {
  await encodeMp3(composeSong(song), tags, out + '.part.mp3');
  renameSync(out + '.part.mp3', out);
}
