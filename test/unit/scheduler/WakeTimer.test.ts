import { describe, expect, it } from 'vitest';
import { WakeTimer } from '../../../src/scheduler/WakeTimer.js';
import { ManualClock } from '../../helpers/ManualClock.js';

describe('WakeTimer', () => {
  it('fires once at the time set; setting it again or cancelling drops the earlier wake-up', async () => {
    const clock = new ManualClock();
    const timer = new WakeTimer(clock);
    const fired: string[] = [];
    timer.set(1000, () => fired.push('first'));
    timer.set(500, () => fired.push('second'));
    await clock.advance(2000);
    expect(fired).toEqual(['second']);
    timer.set(100, () => fired.push('third'));
    timer.cancel();
    await clock.advance(1000);
    expect(fired).toEqual(['second']);
  });
});
