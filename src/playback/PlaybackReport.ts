/**
 * What the service worker tells the engine (through the pages, since it never writes): a play it
 * served (download priority, play history), a chunk that failed its digest (checked again and held
 * back), or a track it must serve and whose chunk `chunk` (and on) is missing (fetched first).
 * A `wanted` with `byte` instead of `chunk` is sent as a request arrives, before the store is
 * read: the engine fetches the chunk holding that byte first if it knows it is missing.
 */
export type PlaybackReport =
  | { type: 'played'; trackId: string }
  | { type: 'wanted'; trackId: string; chunk?: number; byte?: number }
  | { type: 'corrupt'; trackId: string; digest: string };

/**
 * What the engine tells readers waiting for chunks, on the BroadcastChannel
 * `reprise:<dbName>:chunks`: chunks just stored, or a track it cannot fetch now (and why). A
 * chunk a reader asked for (`wanted`) is also handed over, bytes and all, as soon as it verified
 * and its write began (`verified`): the reader streams it without reading it back from the
 * store; it checks the bytes against the digest it waits for before it sends any of them.
 */
export type ChunkNews =
  | { type: 'stored'; digests: string[] }
  | { type: 'verified'; chunks: { digest: string; bytes: ArrayBuffer }[] }
  | { type: 'unavailable'; trackId: string; code: string; message: string };

export const chunkNewsChannel = (dbName: string) => `reprise:${dbName}:chunks`;
