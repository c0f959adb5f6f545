import { READER_PORT_REQUEST } from '../worker/lifecycleMessages.js';
import type { PlaybackReport } from './PlaybackReport.js';
import type { ReaderPorts } from './ReaderPorts.js';
import type { ChunkNewsSource } from './waitForChunk.js';

export interface ReportSenderOptions {
  dbName: string;
  /** The direct lines pages handed over (undefined: news injected, as in tests). */
  ports: ReaderPorts | undefined;
  news: ChunkNewsSource | undefined;
  /** Where reports go instead (tests): nothing is sent to pages or lines then. */
  report?: (report: PlaybackReport) => void;
}

/**
 * How the service worker's reports reach the engine that writes: straight on its line (else its
 * channel: one hop) and through every page of the app (an engine without either; a line to a
 * tab that does not lead). Each report gets an id its copies share (ReportFilter): the engine acts
 * on it once, and on a request made again every time. `askForPorts`: with no direct line yet
 * (this service worker just started), the pages are asked for one, at most once a second.
 */
export function reportSender(o: ReportSenderOptions): { report(report: PlaybackReport): void; askForPorts(): void } {
  const { dbName, ports, news } = o;
  // The pages last seen: a report goes to them at once (asking the browser for its windows takes a
  // round trip to it, slow on a loaded device), then to any page that list did not have.
  let pages: readonly Client[] = [];
  const windows = () => (globalThis as unknown as { clients?: Clients }).clients?.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => (pages = list));
  if (!o.report) void windows()?.catch(() => {});
  const toPages = (message: unknown) => {
    const post = (c: Client) => {
      try {
        c.postMessage(message);
      } catch {
        // a page that went away
      }
    };
    const sent = new Set(pages.map((c) => c.id));
    pages.forEach(post);
    void windows()?.then((list) => list.filter((c) => !sent.has(c.id)).forEach(post), () => {});
  };
  const instance = Math.random().toString(36).slice(2, 10);
  let reports = 0;
  let askedForPorts = -Infinity;
  return {
    report(sent) {
      if (o.report) return o.report(sent);
      const r: PlaybackReport = { ...sent, id: `${instance}:${++reports}` };
      if (ports?.size) ports.post({ type: 'report', report: r });
      else news?.post?.({ type: 'report', report: r });
      toPages({ type: 'reprise:playback', report: r });
    },
    askForPorts() {
      if (!ports || ports.size > 0 || o.report || Date.now() - askedForPorts < 1000) return;
      askedForPorts = Date.now();
      toPages({ type: READER_PORT_REQUEST, dbName });
    },
  };
}
