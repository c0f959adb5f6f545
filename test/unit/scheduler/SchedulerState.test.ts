import { describe, expect, it } from 'vitest';
import { schedulerState } from '../../../src/scheduler/SchedulerState.js';

const quiet = { pause: undefined, spaceBlocked: false, running: 0, planned: 0, waiting: undefined };
const wait = { reason: 'backoff' as const, until: 5000 };

describe('schedulerState', () => {
  it('a pause wins; a full store pauses only once nothing runs; then downloading, waiting (with work planned), idle', () => {
    expect(schedulerState({ ...quiet, pause: 'offline', running: 2, spaceBlocked: true })).toEqual({ state: 'paused', reason: 'offline' });
    expect(schedulerState({ ...quiet, spaceBlocked: true, running: 1 })).toEqual({ state: 'downloading' });
    expect(schedulerState({ ...quiet, spaceBlocked: true })).toEqual({ state: 'paused', reason: 'quota-exceeded' });
    expect(schedulerState({ ...quiet, planned: 3, waiting: wait })).toEqual({ state: 'waiting', ...wait });
    expect(schedulerState({ ...quiet, waiting: wait })).toEqual({ state: 'idle' }); // nothing planned: nothing waits
    expect(schedulerState(quiet)).toEqual({ state: 'idle' });
  });
});
