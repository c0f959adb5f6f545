import { describe, expect, it } from 'vitest';
import type { LeadingEngine, PlaybackReport } from '../../../src/engine/CacheEngine.js';
import { RepriseError } from '../../../src/errors/RepriseError.js';
import { REPORT_WINDOW_MS } from '../../../src/playback/ReportFilter.js';
import { TabCoordinator } from '../../../src/tabs/TabCoordinator.js';
import { settle } from '../../helpers/ManualClock.js';
import { FakeChannelHub, FakeEngine, FakeLocks, platform } from './fakeTabPlatform.js';

const LOCK = 'reprise:db';

/** A set of tabs sharing one lock manager and one channel, with a clock for the report window. */
function tabs() {
  const locks = new FakeLocks();
  const hub = new FakeChannelHub();
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms) };
  const open = (openEngine: () => Promise<LeadingEngine> = async () => new FakeEngine()) =>
    new TabCoordinator('db', openEngine, () => {}, platform(locks, hub, () => now));
  return { locks, hub, clock, open };
}

/** Fails fast instead of waiting for the test timeout when a promise never settles (the bug being guarded). */
function within<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
}

function deferred() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('TabCoordinator', () => {
  it("runs a follower's call once when the leader answers another tab's `who`", async () => {
    const { open, hub } = tabs();
    const engine = new FakeEngine();
    const leader = open(async () => engine);
    await leader.start();
    const follower = open();
    await follower.start();
    const gate = deferred();
    engine.gate = gate.promise;
    const call = follower.call('setOffline', ['mix', true]);
    await settle();
    await open().start(); // a third tab asks who leads; the leader answers on the shared channel
    await settle();
    gate.open();
    await within(call);
    expect(hub.count('leader')).toBeGreaterThanOrEqual(2);
    expect(engine.count('setOffline')).toBe(1);
  });

  it('sends a waiting call again when the leader changes, and it runs once on the new leader', async () => {
    const { open } = tabs();
    const first = new FakeEngine();
    first.gate = new Promise(() => {}); // the first leader never answers
    const second = new FakeEngine();
    const a = open(async () => first);
    await a.start();
    const b = open(async () => second); // next in the lock queue
    await b.start();
    const c = open(async () => new FakeEngine());
    await c.start();
    const call = c.call('status', []);
    await settle();
    expect(first.count('status')).toBe(1);
    await a.close();
    await within(call);
    expect(b.role).toBe('leader');
    expect(second.count('status')).toBe(1);
  });

  it('posts nothing after close, even when a call it was answering finishes later', async () => {
    const { open, hub } = tabs();
    const engine = new FakeEngine();
    const leader = open(async () => engine);
    await leader.start();
    const follower = open();
    await follower.start();
    const gate = deferred();
    engine.gate = gate.promise;
    void follower.call('verify', []).catch(() => {});
    await settle();
    expect(engine.count('verify')).toBe(1);
    await leader.close();
    gate.open();
    await settle();
    expect(hub.postsAfterClose).toEqual([]);
  });

  const openFailures = [
    { name: 'a reprise error (a trusted key off the curve)', error: new RepriseError('invalid-argument', 'trustedKeys.0: not a usable ES256 public key'), code: 'invalid-argument', locks: true },
    { name: 'a platform error (IndexedDB)', error: Object.assign(new Error('the database connection is closing'), { name: 'InvalidStateError' }), code: 'InvalidStateError', locks: true },
    { name: 'a reprise error, without Web Locks', error: new RepriseError('quota-exceeded', 'no room'), code: 'quota-exceeded', locks: false },
  ];
  it.each(openFailures)('rejects start() with $name and releases the lock', async ({ error, code, locks: withLocks }) => {
    const { open, locks, hub } = tabs();
    const failing = withLocks ? open(async () => Promise.reject(error)) : new TabCoordinator('db', async () => Promise.reject(error), () => {}, { locks: undefined, channel: () => hub.channel() });
    await expect(within(failing.start())).rejects.toMatchObject({ name: code });
    if (!withLocks) return;
    await settle();
    expect(locks.held.has(LOCK)).toBe(false);
    const next = open();
    await within(next.start());
    expect(next.role).toBe('leader');
  });

  it('rejects the calls of a tab that cannot take over with the reason, and later calls at once', async () => {
    const { open, locks } = tabs();
    const leader = open(async () => {
      const e = new FakeEngine();
      e.gate = new Promise(() => {});
      return e;
    });
    await leader.start();
    const error = new RepriseError('invalid-argument', 'trustedKeys.0: not a usable ES256 public key');
    const follower = open(async () => Promise.reject(error));
    await follower.start();
    const waiting = follower.call('status', []);
    await settle();
    await leader.close();
    await expect(within(waiting)).rejects.toBe(error);
    await expect(within(follower.call('status', []))).rejects.toBe(error);
    expect(locks.held.has(LOCK)).toBe(false);
  });

  it('a tab whose take-over failed once is in line again when another tab leads, and leads when that one closes (its calls never wait for a leader gone)', async () => {
    const { open, locks } = tabs();
    const a = open();
    await a.start();
    let failOnce = true;
    const b = open(async () => {
      if (failOnce) {
        failOnce = false;
        throw new RepriseError('storage-failed', 'a transient storage error');
      }
      return new FakeEngine();
    });
    await b.start();
    await a.close();
    await settle(); // b's engine failed to open: the lock is let go
    expect(locks.held.has(LOCK)).toBe(false);
    const c = open();
    await c.start(); // c leads
    await settle();
    await within(b.call('status', [])); // answered by c
    await c.close();
    await settle();
    await within(b.call('status', [])); // b leads now
    expect(b.role).toBe('leader');
  });

  it('a leader whose engine the browser closed (storage cleared, a newer version upgrading it) lets the lock go: the next tab leads, or this one again with a fresh engine', async () => {
    const { open, locks } = tabs();
    const first = new FakeEngine();
    const a = open(async () => first);
    await a.start();
    const b = open();
    await b.start();
    first.emit('state', { state: 'closed' });
    await settle();
    expect([a.role, b.role]).toEqual(['follower', 'leader']);
    await within(a.call('status', [])); // answered by b
    // Alone: the tab leads again with a fresh engine.
    const { open: openAlone } = tabs();
    const engines: FakeEngine[] = [];
    const solo = openAlone(async () => (engines.push(new FakeEngine()), engines.at(-1)!));
    await solo.start();
    engines[0]!.emit('state', { state: 'closed' });
    await settle();
    await within(solo.call('status', []));
    expect([solo.role, engines.length, engines[1]!.count('status')]).toEqual(['leader', 2, 1]);
    expect(locks.held.has(LOCK)).toBe(true);
  });

  it('closes an engine that finished opening after close(), and releases the lock', async () => {
    const { open, locks } = tabs();
    const engine = new FakeEngine();
    const opening = deferred();
    const tab = open(async () => {
      await opening.promise;
      return engine;
    });
    const started = tab.start();
    await settle();
    const closed = tab.close();
    await expect(within(started)).rejects.toMatchObject({ name: 'aborted' });
    await closed;
    opening.open();
    await settle();
    expect(engine.closed).toBe(true);
    expect(locks.held.has(LOCK)).toBe(false);
  });

  const play: PlaybackReport = { type: 'played', trackId: 't1' };
  const reportCases: { name: string; steps: ({ tab: number; report: PlaybackReport } | { advance: number })[]; handled: number }[] = [
    { name: 'one play forwarded by three tabs', steps: [{ tab: 0, report: play }, { tab: 1, report: play }, { tab: 2, report: play }], handled: 1 },
    {
      name: 'different reports',
      steps: [{ tab: 1, report: play }, { tab: 2, report: { type: 'played', trackId: 't2' } }, { tab: 0, report: { type: 'wanted', trackId: 't1' } }, { tab: 1, report: { type: 'corrupt', trackId: 't1', digest: 'a' } }, { tab: 2, report: { type: 'corrupt', trackId: 't1', digest: 'b' } }],
      handled: 5,
    },
    {
      name: 'requests from two bytes of a track (a seek), each forwarded by two tabs',
      steps: [{ tab: 0, report: { type: 'wanted', trackId: 't1', byte: 0 } }, { tab: 1, report: { type: 'wanted', trackId: 't1', byte: 0 } }, { tab: 1, report: { type: 'wanted', trackId: 't1', byte: 9000 } }, { tab: 2, report: { type: 'wanted', trackId: 't1', byte: 9000 } }],
      handled: 2,
    },
    { name: 'the same play again after the window', steps: [{ tab: 1, report: play }, { tab: 2, report: play }, { advance: REPORT_WINDOW_MS }, { tab: 0, report: play }, { tab: 1, report: play }], handled: 2 },
    {
      name: 'a request made again within the window (play pressed again after an error): a new id, acted on; copies of each by id once',
      steps: [
        { tab: 0, report: { type: 'wanted', trackId: 't1', byte: 0, id: 'sw:1' } },
        { tab: 1, report: { type: 'wanted', trackId: 't1', byte: 0, id: 'sw:1' } },
        { tab: 1, report: { type: 'wanted', trackId: 't1', byte: 0, id: 'sw:2' } },
        { tab: 2, report: { type: 'wanted', trackId: 't1', byte: 0, id: 'sw:2' } },
      ],
      handled: 2,
    },
  ];
  it.each(reportCases)('handles playback reports once however many tabs forward them: $name', async ({ steps, handled }) => {
    const { open, clock } = tabs();
    const engine = new FakeEngine();
    const all = [open(async () => engine), open(), open()];
    for (const t of all) await t.start();
    for (const step of steps) {
      if ('advance' in step) clock.advance(step.advance);
      else await within(all[step.tab]!.call('playbackReport', [step.report]));
    }
    expect(engine.reports).toHaveLength(handled);
  });
});
