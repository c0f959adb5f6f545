import type { ManifestTrack } from '../manifest/types.js';

/**
 * What the service worker tells the engine (it never writes): a play it
 * served (download priority, play history), a chunk that failed its digest (checked again and held
 * back), or a track it must serve and whose chunk `chunk` (and on) is missing (fetched first).
 * A `wanted` with `byte` instead of `chunk` is sent as a request arrives, before the store is
 * read: the engine fetches the chunk holding that byte first if it knows it is missing.
 */
export type PlaybackReport = (
  | { type: 'played'; trackId: string }
  | { type: 'wanted'; trackId: string; chunk?: number; byte?: number }
  | { type: 'corrupt'; trackId: string; digest: string }
) & {
  /**
   * Unique per report the service worker sends: the copies of one report (its direct line, the
   * channel, every page forwarding it) share it, so the engine acts on a report once and on a new
   * one — the same request made again, a play after an error — every time.
   */
  id?: string;
  /**
   * The request the report is for (one per request the service worker serves, shared by every
   * report it sends): a request tries a track that failed (a 404 at the origin) once, whether its
   * first report or a later one finds the failure.
   */
  request?: string;
};

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
  | { type: 'unavailable'; trackId: string; code: string; message: string }
  | { type: 'track'; trackId: string; contentId: string; track: ManifestTrack }
  | { type: 'manifest' }
  | { type: 'report'; report: PlaybackReport };

/*
 * The same channel carries the service worker's reports to the engine that writes (`report`: one
 * hop, not through a page's busy main thread; they also go through the pages, and the engine acts
 * on equal reports once), the news that a manifest was saved as the one in force (`manifest`: the
 * service worker parses it then, not when the next play waits for it), and the engine's answer
 * to an early `wanted`: the track as the manifest in force lists it (`track`), so the service
 * worker need not wait for the store — busy with the resync's writes — to learn what it is
 * serving. Same-origin contexts only; every chunk is
 * still checked against its digest before a byte of it is sent.
 */
export const chunkNewsChannel = (dbName: string) => `reprise:${dbName}:chunks`;
