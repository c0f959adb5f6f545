/**
 * What the service worker tells the engine (through the pages, since it never writes): a play it
 * served (download priority, play history), a chunk that failed its digest (checked again and held
 * back), or a track it must serve and whose chunk `chunk` (and on) is missing (fetched first).
 */
export type PlaybackReport =
  | { type: 'played'; trackId: string }
  | { type: 'wanted'; trackId: string; chunk?: number }
  | { type: 'corrupt'; trackId: string; digest: string };

/**
 * What the engine tells readers waiting for chunks, on the BroadcastChannel
 * `reprise:<dbName>:chunks`: chunks just stored, or a track it cannot fetch now (and why).
 */
export type ChunkNews =
  | { type: 'stored'; digests: string[] }
  | { type: 'unavailable'; trackId: string; code: string; message: string };

export const chunkNewsChannel = (dbName: string) => `reprise:${dbName}:chunks`;
