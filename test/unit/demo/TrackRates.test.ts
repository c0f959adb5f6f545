import { describe, expect, it } from 'vitest';
import { TrackRates } from '../../../demo/app/TrackRates.js';

describe("TrackRates (the demo's per-track download rate)", () => {
  it('measures bytes per second over the recent progress events', () => {
    const rates = new TrackRates();
    rates.add('t', 0, 0);
    rates.add('t', 500_000, 1000);
    expect(rates.rate('t', 1000)).toBe(500_000);
  });

  it("a track whose bytes on the device dropped (a reset found damage) starts a new measure: never a negative rate", () => {
    // The demo showed "55% · -297 kB/s · done" for a track played while its damage was re-fetched.
    const rates = new TrackRates();
    rates.add('t', 0, 0);
    rates.add('t', 1_000_000, 1000);
    rates.add('t', 200_000, 1500); // the reset: damaged chunks no longer count
    rates.add('t', 500_000, 2000);
    expect(rates.rate('t', 2000)).toBe(600_000);
  });
});
