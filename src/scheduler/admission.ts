/** Why the queue waits although work is queued. */
export type WaitReason = 'reset-window' | 'retry-after' | 'backoff';

/** A queued job as admission sees it, in priority order. */
export interface Candidate {
  /** What the queue knows it by (the track id). */
  id: string;
  origin: string;
  /** The user asked for it now: it skips the reset window. */
  urgent: boolean;
  /** Its backoff ends at this clock time (0: none). */
  notBefore: number;
  /** False while its stored chunks are being audited. */
  ready(): boolean;
  /** Bytes it still has to fetch (asked only of a job about to start). */
  need(): number;
}

export interface AdmissionInput {
  /** Queued jobs, most urgent first. */
  candidates: Iterable<Candidate>;
  now: number;
  /** Requests that may start now (maxConcurrent minus those open). */
  slots: number;
  /**
   * Urgent jobs (the listener waits) may start beyond `slots`, up to this many in all: their
   * requests take the slots of background ones (the request slots keep the cap). Default 0.
   */
  urgentSlots?: number;
  /** The reset window ends at this clock time (0: none). */
  windowUntil: number;
  /** Retry-After per origin: no request to it before this clock time. */
  originUntil: ReadonlyMap<string, number>;
  /** Bytes the store can still take, minus what running downloads still need. */
  space: number;
}

export interface Admission {
  /** Ids to start now, in order. */
  start: string[];
  /** The earliest moment something held back could start, and why it waits. */
  wait: { reason: WaitReason; until: number } | undefined;
  /** A job was held back because it would not fit in the store. */
  spaceBlocked: boolean;
}

/**
 * Which queued jobs may start now (docs/how-it-works.md "Throttled resync"): a free request slot, the
 * origin's Retry-After passed, the reset window passed (unless the user asked for the track),
 * its backoff passed, and room in the store for all it still needs. Pauses are the caller's:
 * a paused queue admits nothing.
 */
export function admit(input: AdmissionInput): Admission {
  const start: string[] = [];
  let wait: Admission['wait'];
  let spaceBlocked = false;
  let space = input.space;
  const later = (reason: WaitReason, until: number) => {
    if (!wait || until < wait.until) wait = { reason, until };
  };
  for (const job of input.candidates) {
    if (start.length >= (job.urgent ? Math.max(input.slots, input.urgentSlots ?? 0) : input.slots)) {
      if (job.urgent) continue;
      break;
    }
    // A job whose stored chunks are still being audited holds back the jobs behind it: the
    // audit runs in the same priority order and far faster than any download, so this keeps
    // the slots for the playlist the user wants first.
    if (!job.ready()) break;
    const originAt = input.originUntil.get(job.origin) ?? 0;
    const windowAt = job.urgent ? 0 : input.windowUntil;
    if (originAt > input.now) later('retry-after', originAt);
    else if (windowAt > input.now) later('reset-window', windowAt);
    else if (job.notBefore > input.now) later('backoff', job.notBefore);
    else {
      const need = job.need();
      if (need > space) {
        spaceBlocked = true;
        continue;
      }
      space -= need;
      start.push(job.id);
    }
  }
  return { start, wait, spaceBlocked };
}
