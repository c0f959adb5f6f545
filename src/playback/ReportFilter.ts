import type { PlaybackReport } from '../playback/PlaybackReport.js';

/**
 * How long a report's copies count as the same report. The service worker posts each report to the
 * engine's channel and to every page of the app, and each page forwards it to the leading tab,
 * within milliseconds. A report with an `id` is known by it: an equal report with another id is
 * a new request (a listener pressing play again after an error) and is acted on. A report without
 * one (a service worker of an older version) is known by its content: an equal one within this
 * window counts as a copy.
 */
export const REPORT_WINDOW_MS = 5_000;

/** Lets the first copy of a playback report through and drops the copies other tabs forward. */
export class ReportFilter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  first(report: PlaybackReport): boolean {
    const now = this.now();
    for (const [key, at] of this.seen) if (now - at >= REPORT_WINDOW_MS) this.seen.delete(key);
    const key = report.id !== undefined ? `id\n${report.id}` : `${report.type}\n${report.trackId}\n${'digest' in report ? report.digest : ''}\n${'chunk' in report ? report.chunk : ''}\n${'byte' in report ? report.byte : ''}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }
}
