/**
 * The sample catalog as a listener sees it: three playlists of eight songs, each with the
 * musical choices that make it sound like itself (key, mode, tempo, progression, length).
 */
export interface SongSpec {
  id: string;
  title: string;
  artist: string;
  album: string;
  /** MIDI note of the key's root (60 = middle C). */
  root: number;
  mode: 'major' | 'minor';
  bpm: number;
  /** Scale degrees (0-based) of the chord progression, one chord per bar. */
  progression: number[];
  seconds: number;
  /** Varies the melody and the drum pattern. */
  seed: number;
}

export interface PlaylistSpec {
  id: string;
  name: string;
  /** The service's record of the listener's choice (the manifest's `offline`). */
  offline: boolean;
  songs: SongSpec[];
}

const PROGRESSIONS = [
  [0, 4, 5, 3],
  [0, 5, 3, 4],
  [5, 3, 0, 4],
  [0, 3, 4, 4],
  [1, 4, 0, 0],
  [0, 2, 5, 4],
];

const LISTS: { id: string; name: string; artist: string; album: string; mood: 'up' | 'calm' | 'dark'; offline: boolean; titles: string[] }[] = [
  {
    id: 'road-trip', name: 'Road Trip', artist: 'The Mile Markers', album: 'Interstate', mood: 'up', offline: false,
    titles: ['Open Highway', 'Mile Marker 88', 'Dust and Chrome', 'Night Drive', 'Gas Station Sunrise', 'Rearview', 'Desert Radio', 'Exit 42'],
  },
  {
    id: 'focus', name: 'Deep Focus', artist: 'Paper Lanterns', album: 'Quiet Rooms', mood: 'calm', offline: false,
    titles: ['Quiet Room', 'Slow Tide', 'Graphite', 'Library Rain', 'Soft Machines', 'Northern Window', 'Still Water', 'Long Exposure'],
  },
  {
    id: 'late-night', name: 'Late Night', artist: 'Neon Harbour', album: 'After Hours', mood: 'dark', offline: false,
    titles: ['Last Train', 'Streetlight Static', 'Blue Hour', 'Empty Platform', 'Night Shift', 'Harbour Lights', 'Small Hours', 'Closing Time'],
  },
];

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export const PLAYLISTS: PlaylistSpec[] = LISTS.map((list, l) => ({
  id: list.id,
  name: list.name,
  offline: list.offline,
  songs: list.titles.map((title, i): SongSpec => {
    const n = l * 8 + i;
    const base = list.mood === 'up' ? 108 : list.mood === 'calm' ? 78 : 92;
    return {
      id: `${list.id}.${slug(title)}`,
      title,
      artist: list.artist,
      album: list.album,
      root: 55 + ((n * 5) % 12),
      mode: list.mood === 'dark' || (list.mood === 'calm' && i % 3 === 1) ? 'minor' : 'major',
      bpm: base + ((n * 7) % 17),
      progression: PROGRESSIONS[(n + l) % PROGRESSIONS.length]!,
      // Two to three and a half minutes: 2–3.4 MB at 128 kbit/s.
      seconds: 120 + ((n * 37) % 90),
      seed: n + 1,
    };
  }),
}));
