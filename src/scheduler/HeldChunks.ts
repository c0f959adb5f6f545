import type { VerifiedChunk } from '../downloader/ChunkSink.js';

/**
 * Verified chunks a full quota refused, by track: written before the track's job fetches again,
 * so a quota hit costs no second download of them (issue 22). Dropped when the plan no longer
 * wants that content.
 */
export class HeldChunks {
  private readonly byTrack = new Map<string, { contentId: string; chunks: VerifiedChunk[] }>();

  add(trackId: string, contentId: string, chunks: VerifiedChunk[]): void {
    const before = this.byTrack.get(trackId);
    this.byTrack.set(trackId, { contentId, chunks: before?.contentId === contentId ? [...before.chunks, ...chunks] : chunks });
  }

  /** Removes and returns what is held for this content of the track. */
  take(trackId: string, contentId: string): VerifiedChunk[] {
    const held = this.byTrack.get(trackId);
    this.byTrack.delete(trackId);
    return held?.contentId === contentId ? held.chunks : [];
  }

  /** Keeps only what the plan still wants: `contentOf(trackId)` is the planned content, if any. */
  retain(contentOf: (trackId: string) => string | undefined): void {
    for (const [id, h] of this.byTrack) if (contentOf(id) !== h.contentId) this.byTrack.delete(id);
  }

  clear(): void {
    this.byTrack.clear();
  }
}
