import type { ChunkNews } from './PlaybackReport.js';

/** Ports kept per side at most; the oldest (most likely a closed page's) go first. */
const MAX_PORTS = 4;

/**
 * Direct lines between the engine that writes (in a page's cache worker) and the service
 * worker that serves `trackUrl()`: each page hands one end of a `MessageChannel` to its cache
 * worker and the other to the service worker (`reprise:reader-port`). The engine's news for
 * readers (a track's listing, chunks handed over) goes on them as well as on the BroadcastChannel,
 * which in Chromium passes through the browser process — the process busy with the resync's
 * network and storage — and delayed a 256 KiB handover by 10–30 ms (docs/playback-url.md). A
 * reader acts on a piece of news once, whichever line brings it first.
 */
export class ReaderPorts {
  private readonly ports: MessagePort[] = [];
  private readonly listeners = new Set<(news: ChunkNews) => void>();

  get size(): number {
    return this.ports.length;
  }

  add(port: MessagePort): void {
    this.ports.push(port);
    while (this.ports.length > MAX_PORTS) this.ports.shift()!.close();
    port.onmessage = (e: MessageEvent<ChunkNews>) => {
      if (e.data && typeof e.data === 'object') for (const l of this.listeners) l(e.data);
    };
  }

  post(news: ChunkNews): void {
    for (const port of this.ports) {
      try {
        port.postMessage(news);
      } catch {
        // a port whose other end went away
      }
    }
  }

  subscribe(listener: (news: ChunkNews) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const registry = new Map<string, ReaderPorts>();

/** This context's ports for the database `dbName` (the cache worker's, or the service worker's). */
export function readerPorts(dbName: string): ReaderPorts {
  let ports = registry.get(dbName);
  if (!ports) registry.set(dbName, (ports = new ReaderPorts()));
  return ports;
}
