import { parseFile } from 'music-metadata';

export interface TrackTags {
  title?: string;
  artist?: string;
  durationSeconds?: number;
}

/**
 * Title, artist and duration from a media file's own tags and headers (ID3, Vorbis comments,
 * MP4 atoms, RIFF INFO… read by music-metadata). A file it cannot parse has no tags; the caller
 * falls back to the file name.
 */
export async function readTags(path: string): Promise<TrackTags> {
  try {
    const { common, format } = await parseFile(path, { duration: true, skipCovers: true });
    const tags: TrackTags = {};
    if (common.title?.trim()) tags.title = common.title.trim();
    if (common.artist?.trim()) tags.artist = common.artist.trim();
    if (format.duration !== undefined && Number.isFinite(format.duration) && format.duration >= 0) {
      tags.durationSeconds = Math.round(format.duration * 1000) / 1000;
    }
    return tags;
  } catch {
    return {};
  }
}
