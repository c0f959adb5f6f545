import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A constant-bitrate MP3 of a rising tone, made by ffmpeg now (no binary fixture in the repo):
 * a real codec every engine decodes, so seeking goes through a real demuxer's Range requests.
 */
export function makeMp3(seconds: number, kbps = 128): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-mp3-'));
  try {
    const out = join(dir, 'tone.mp3');
    const run = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=2:duration=${seconds}`, '-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', `${kbps}k`, out]);
    if (run.error) throw new Error(`ffmpeg is needed to make the test MP3 (${run.error.message}). Install it: sudo apt-get install -y ffmpeg`);
    if (run.status !== 0) throw new Error(`ffmpeg failed (${run.status}): ${run.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
