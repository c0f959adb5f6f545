import type { PlaybackReport } from '../playback/PlaybackReport.js';

/**
 * How long an equal report counts as the same one. The service worker posts each report to the
 * engine's channel and to every page of the app, and each page forwards it to the leading tab,
 * within milliseconds; the
 * service worker itself reports a play at most once a minute per track, and an equal `wanted` or
 * `corrupt` report within this window asks for work that is already queued.
 */
export const REPORT_WINDOW_MS = 5_000;

/** Lets the first of equal playback reports through and drops the copies other tabs forward. */
export class ReportFilter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  first(report: PlaybackReport): boolean {
    const now = this.now();
    for (const [key, at] of this.seen) if (now - at >= REPORT_WINDOW_MS) this.seen.delete(key);
    const key = `${report.type}\n${report.trackId}\n${'digest' in report ? report.digest : ''}\n${'chunk' in report ? report.chunk : ''}\n${'byte' in report ? report.byte : ''}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }
}
