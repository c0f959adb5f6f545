import type { ManifestTrack } from '../manifest/types.js';
import { type ChunkNews, type PlaybackReport, chunkNewsChannel } from '../playback/PlaybackReport.js';
import { type ReaderPorts, readerPorts } from '../playback/ReaderPorts.js';

/** Chunks readers asked for and not yet handed over, at most (the oldest are forgotten first). */
const MAX_AWAITED = 64;

/**
 * Tells readers waiting for chunks (the service worker, serving a track while it downloads)
 * what was just stored, or that a track cannot be fetched now — over a BroadcastChannel, where
 * the platform has one (workers, Node ≥ 18). A chunk a reader asked for is handed over with its
 * bytes the moment it verified and its write began, so the reader does not wait for the write
 * nor read it back (docs/playback-url.md "Play while missing").
 */
export class ChunkNewsPublisher {
  private readonly channel: BroadcastChannel | undefined;
  /** The service worker's direct lines, handed to this worker by its page. */
  private readonly ports: ReaderPorts;
  private unsubscribe: (() => void) | undefined;
  /** Digests a reader waits for (a `wanted` report), in the order asked. */
  private readonly awaited = new Set<string>();

  /**
   * `onReport`: the service worker's reports, straight from it (they also arrive through the
   * pages: the receiver acts on equal reports once).
   */
  constructor(dbName: string, onReport?: (report: PlaybackReport) => void) {
    this.ports = readerPorts(dbName);
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(chunkNewsChannel(dbName));
      (this.channel as { unref?: () => void }).unref?.(); // Node: never keeps a process alive
      if (onReport) {
        const hear = (n: ChunkNews | undefined) => {
          if (n?.type === 'report' && n.report && typeof n.report === 'object') onReport(n.report);
        };
        this.unsubscribe = this.ports.subscribe(hear);
        this.channel.onmessage = (e: MessageEvent<ChunkNews>) => hear(e.data);
      }
    }
  }

  /** The track as the manifest in force lists it, for a reader that has not read it from the store yet. */
  track(trackId: string, contentId: string, track: ManifestTrack): void {
    this.post({ type: 'track', trackId, contentId, track });
  }

  /** A manifest was saved as the one in force (or its trust changed): readers read it now, before the next play needs it. */
  manifest(): void {
    this.post({ type: 'manifest' });
  }

  /** True while a reader waits for this chunk (asked for, not yet handed over nor stored). */
  isAwaited(digest: string): boolean {
    return this.awaited.has(digest);
  }

  /** A reader waits for this chunk: hand it over as soon as it verifies. */
  awaiting(digest: string | undefined): void {
    if (digest === undefined) return;
    this.awaited.delete(digest);
    this.awaited.add(digest);
    for (const oldest of this.awaited) {
      if (this.awaited.size <= MAX_AWAITED) break;
      this.awaited.delete(oldest);
    }
  }

  /**
   * Verified chunks (as each verifies, as its write begins, or as a reader asks for one a download
   * holds unwritten): those a reader waits for are posted with their bytes
   * (copied by the channel as it posts: the buffers may be reused once the write commits).
   */
  verified(chunks: readonly { digest: string; bytes: ArrayBuffer }[]): void {
    if (this.awaited.size === 0) return;
    const handed = chunks.filter((c) => this.awaited.delete(c.digest)).map(({ digest, bytes }) => ({ digest, bytes }));
    if (handed.length > 0) this.post({ type: 'verified', chunks: handed });
  }

  stored(digests: string[]): void {
    for (const d of digests) this.awaited.delete(d);
    if (digests.length > 0) this.post({ type: 'stored', digests });
  }

  unavailable(trackId: string, code: string, message: string): void {
    this.post({ type: 'unavailable', trackId, code, message });
  }

  close(): void {
    this.unsubscribe?.();
    this.channel?.close();
  }

  private post(news: ChunkNews): void {
    this.ports.post(news);
    try {
      this.channel?.postMessage(news);
    } catch {
      // closed
    }
  }
}
