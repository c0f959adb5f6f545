import type { PauseReason } from '../scheduler/Scheduler.js';
import { settledWithin } from '../util/settledWithin.js';

interface PlatformGlobals {
  navigator?: { onLine?: boolean; connection?: { saveData?: boolean } & EventTarget; storage?: StorageManager };
  addEventListener?: EventTarget['addEventListener'];
  removeEventListener?: EventTarget['removeEventListener'];
}

const platform = () => globalThis as unknown as PlatformGlobals;

/**
 * Follows `navigator.onLine` (online/offline events, which workers get too) and
 * `navigator.connection.saveData` where they exist, as pause reasons. Returns the unsubscribe.
 */
export function watchConnectivity(pause: (reason: PauseReason) => void, resume: (reason: PauseReason) => void): () => void {
  const g = platform();
  const detach: (() => void)[] = [];
  if (typeof g.navigator?.onLine === 'boolean') {
    if (!g.navigator.onLine) pause('offline');
    if (typeof g.addEventListener === 'function') {
      const online = () => resume('offline');
      const offline = () => pause('offline');
      g.addEventListener('online', online);
      g.addEventListener('offline', offline);
      detach.push(() => {
        g.removeEventListener?.('online', online);
        g.removeEventListener?.('offline', offline);
      });
    }
  }
  const connection = g.navigator?.connection;
  if (connection && typeof connection.saveData === 'boolean') {
    const apply = () => (connection.saveData ? pause('save-data') : resume('save-data'));
    apply();
    if (typeof connection.addEventListener === 'function') {
      connection.addEventListener('change', apply);
      detach.push(() => connection.removeEventListener('change', apply));
    }
  }
  return () => detach.forEach((d) => d());
}

/**
 * How long the platform's storage answers (`estimate()`, `persisted()`) are waited for: past it
 * they count as unknown, so `status()`, a sync and the quota's bookkeeping never hang on them.
 */
export const STORAGE_ANSWER_MS = 2000;

/**
 * How long a storage question the platform left unanswered past {@link STORAGE_ANSWER_MS} counts
 * as hung: meanwhile the question is answered unknown at once, not asked again and waited for.
 */
export const STORAGE_HUNG_MS = 30_000;

/** Storage questions asked of the platform and not answered yet, per StorageManager. */
const asking = new WeakMap<object, Map<string, { answer: Promise<unknown>; since: number }>>();

/**
 * The platform's answer to `question`, waited for at most {@link STORAGE_ANSWER_MS} from when it
 * was asked. A call while the same question is pending joins it (waiting only what is left of
 * that bound); one that finds it hung (unanswered past the bound) gets undefined at once, and the
 * question is asked again once it has hung {@link STORAGE_HUNG_MS}. Without this a browser whose
 * estimate() never answers made every status() and every track's start wait 2 s.
 */
function askStorage<T>(storage: object, question: string, ask: () => Promise<T>, fresh = false): Promise<T | undefined> {
  let questions = asking.get(storage);
  if (!questions) asking.set(storage, (questions = new Map()));
  const now = Date.now();
  let pending = questions.get(question);
  // Hung long enough to ask again — or the clock went back: asked again rather than waited past the bound.
  if (pending && (fresh || now < pending.since || now - pending.since >= STORAGE_HUNG_MS)) pending = undefined;
  if (!pending) {
    const entry = { answer: new Promise<T>((resolve) => resolve(ask())), since: now };
    const forget = () => void (questions.get(question) === entry && questions.delete(question));
    entry.answer.then(forget, forget);
    questions.set(question, entry);
    pending = entry;
  }
  const left = STORAGE_ANSWER_MS - (now - pending.since);
  return left > 0 ? settledWithin(pending.answer as Promise<T>, left) : Promise.resolve(undefined);
}

/**
 * `navigator.storage.estimate()`, or undefined where it does not exist, fails, or does not answer
 * within {@link STORAGE_ANSWER_MS}. `fresh`: asked now, not joined to a question asked before
 * (the usage at a write the quota refused must count that write's predecessors).
 */
export async function storageEstimate(fresh = false): Promise<StorageEstimate | undefined> {
  const storage = platform().navigator?.storage;
  if (!storage?.estimate) return undefined;
  try {
    return await askStorage(storage, 'estimate', () => storage.estimate(), fresh);
  } catch {
    return undefined;
  }
}

/** Whether storage is persistent, asking for it once if not; null where the API does not exist. */
export async function requestPersistence(): Promise<boolean | null> {
  const storage = platform().navigator?.storage;
  if (!storage?.persist) return null;
  try {
    return (await storage.persisted?.()) || (await storage.persist());
  } catch {
    return false;
  }
}

/** Whether storage is persistent (`persisted()` exists in workers too; `persist()` only on pages); null where unknown. */
export async function storagePersisted(): Promise<boolean | null> {
  try {
    const storage = platform().navigator?.storage;
    if (!storage?.persisted) return null;
    return (await askStorage(storage, 'persisted', () => storage.persisted())) ?? null;
  } catch {
    return null;
  }
}

/** Which platform features the engine has here (reported by status()). */
export function platformFeatures(): { storageEstimate: boolean; webLocks: boolean } {
  const nav = platform().navigator as (PlatformGlobals['navigator'] & { locks?: unknown }) | undefined;
  return { storageEstimate: typeof nav?.storage?.estimate === 'function', webLocks: typeof nav?.locks === 'object' && nav.locks !== null };
}

/**
 * Whether the engine seeks correctly inside a Blob composed of many stored parts. Firefox (Gecko)
 * does not: a seek in an object URL of such a Blob lands elsewhere, while the same bytes as one
 * part seek exactly (test/browser/noServiceWorker.test.ts). There `getTrack()` gives one
 * in-memory Blob, as before: correct seeks, memory that grows with the track.
 */
export function composedBlobsSeek(): boolean {
  return typeof navigator === 'undefined' || !/\bFirefox\//.test(navigator.userAgent ?? '');
}
