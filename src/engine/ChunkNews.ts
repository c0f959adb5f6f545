import { type ChunkNews, chunkNewsChannel } from '../playback/PlaybackReport.js';

/**
 * Tells readers waiting for chunks (the service worker, serving a track while it downloads)
 * what was just stored, or that a track cannot be fetched now — over a BroadcastChannel, where
 * the platform has one (workers, Node ≥ 18).
 */
export class ChunkNewsPublisher {
  private readonly channel: BroadcastChannel | undefined;

  constructor(dbName: string) {
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(chunkNewsChannel(dbName));
      (this.channel as { unref?: () => void }).unref?.(); // Node: never keeps a process alive
    }
  }

  stored(digests: string[]): void {
    if (digests.length > 0) this.post({ type: 'stored', digests });
  }

  unavailable(trackId: string, code: string, message: string): void {
    this.post({ type: 'unavailable', trackId, code, message });
  }

  close(): void {
    this.channel?.close();
  }

  private post(news: ChunkNews): void {
    try {
      this.channel?.postMessage(news);
    } catch {
      // closed
    }
  }
}
