/**
 * A process that can be killed at any instant, for Node: the engine's IndexedDB connections and
 * its sockets, cut at once. Committed transactions stay (as on disk); every transaction not yet
 * committed is aborted (as a killed process loses it) and its pending requests never answer;
 * nothing it does afterwards reaches the store or the network.
 */
/**
 * Event targets of killed processes: their events are dropped, as a process that is gone hears
 * nothing (its pending requests neither succeed nor fail). Patched once into fake-indexeddb's
 * event target, which every IDB object inherits from.
 */
const dead = new WeakSet<object>();
let patched = false;
function silenceTheDead(): void {
  if (patched) return;
  patched = true;
  const target = Object.getPrototypeOf(globalThis.IDBTransaction.prototype) as { dispatchEvent(e: Event): boolean };
  const dispatch = target.dispatchEvent;
  target.dispatchEvent = function (this: { transaction?: object | null }, event: Event) {
    if (dead.has(this) || (this.transaction && dead.has(this.transaction))) return true;
    return dispatch.call(this, event);
  };
}

export class Crashable {
  /** Transactions the engine created (the stop points counted). */
  transactions = 0;
  crashed = false;
  private readonly live = new Set<IDBTransaction>();
  private readonly connections = new Set<IDBDatabase>();
  private readonly sockets = new AbortController();
  private trigger: { at: number; then: () => void } | undefined;

  private readonly opening = new Set<IDBOpenDBRequest>();

  /** `real`: a fake-indexeddb factory (its globals installed by test/helpers/setup.ts). */
  constructor(private readonly real: IDBFactory) {
    silenceTheDead();
  }

  /** Calls `then` when the engine creates its `at`-th transaction (1-based), right after creating it. */
  stopAt(at: number, then: () => void): void {
    this.trigger = { at, then };
  }

  /** The factory to give the engine. */
  readonly indexedDB = {
    open: (name: string, version?: number): IDBOpenDBRequest => {
      if (this.crashed) throw new DOMException('the process is gone', 'InvalidStateError');
      const request = version === undefined ? this.real.open(name) : this.real.open(name, version);
      this.opening.add(request);
      request.addEventListener('success', () => this.adopt(request.result));
      return request;
    },
    deleteDatabase: (name: string) => this.real.deleteDatabase(name),
    databases: () => this.real.databases(),
    cmp: (a: unknown, b: unknown) => this.real.cmp(a, b),
  } as unknown as IDBFactory;

  /** The fetch to give the engine: every request it makes is cut by the crash. */
  readonly fetch: typeof fetch = (input, init) => {
    if (this.crashed) return Promise.reject(new TypeError('fetch failed: the process is gone'));
    const signal = init?.signal ? AbortSignal.any([init.signal, this.sockets.signal]) : this.sockets.signal;
    return globalThis.fetch(input, { ...init, signal });
  };

  private adopt(db: IDBDatabase): void {
    if (this.crashed) return void db.close();
    this.connections.add(db);
    const transaction = db.transaction.bind(db);
    db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      if (this.crashed) throw new DOMException('the process is gone', 'InvalidStateError');
      const tx = transaction(...args);
      this.live.add(tx);
      const done = () => this.live.delete(tx);
      tx.addEventListener('complete', done);
      tx.addEventListener('abort', done);
      this.transactions++;
      if (this.trigger && this.transactions === this.trigger.at) this.trigger.then();
      return tx;
    }) as IDBDatabase['transaction'];
  }

  /** Kills it: aborts what is not committed, closes the connections, cuts the sockets. */
  crash(): void {
    if (this.crashed) return;
    this.crashed = true;
    for (const request of this.opening) dead.add(request);
    for (const db of this.connections) dead.add(db);
    for (const tx of this.live) {
      dead.add(tx);
      try {
        tx.abort();
      } catch {
        // already committed: on disk
      }
    }
    this.live.clear();
    for (const db of this.connections) db.close();
    this.sockets.abort(new TypeError('fetch failed: the process is gone'));
  }
}
