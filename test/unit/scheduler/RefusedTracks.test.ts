import { describe, expect, it } from 'vitest';
import { RepriseError } from '../../../src/errors/RepriseError.js';
import { REFUSED_BEFORE_PAUSE, RefusedTracks } from '../../../src/scheduler/RefusedTracks.js';
import type { SchedulerJob } from '../../../src/scheduler/SchedulerJob.js';

const job = (trackId: string, origin = 'https://cdn.example'): SchedulerJob => ({ trackId, contentId: `c-${trackId}`, url: `${origin}/${trackId}`, origin, request: () => undefined, remainingBytes: () => 0 });
const refusal = new RepriseError('unauthorized', '403', { status: 403 });

describe('RefusedTracks (a region lock or the session)', () => {
  it('a request sent after the refusal and accepted settles it: the refused track alone is refused for itself', () => {
    const r = new RefusedTracks();
    const a = r.nextRequest();
    const b = r.nextRequest();
    expect(r.refuse(job('a'), refusal, a)).toBe('aside');
    expect(r.isAside('a')).toBe(true);
    // b was sent after a's request: its acceptance is fresh authorization.
    expect(r.acceptedAt('https://cdn.example', 'b', b).map((x) => x.job.trackId)).toEqual(['a']);
    expect(r.isAside('a')).toBe(false);
  });

  it('a request sent before the refusal settles nothing (it may carry a token that was still valid)', () => {
    const r = new RefusedTracks();
    const b = r.nextRequest();
    const a = r.nextRequest();
    expect(r.refuse(job('a'), refusal, a)).toBe('aside');
    expect(r.acceptedAt('https://cdn.example', 'b', b)).toEqual([]);
    expect(r.isAside('a')).toBe(true);
  });

  it('another track accepted after the refused request was sent, before the refusal came: refused for itself at once', () => {
    const r = new RefusedTracks();
    const a = r.nextRequest();
    const b = r.nextRequest();
    expect(r.acceptedAt('https://cdn.example', 'b', b)).toEqual([]);
    expect(r.refuse(job('a'), refusal, a)).toBe('track');
  });

  it("the track's own accepted requests, and other origins' requests, are no verdict", () => {
    const r = new RefusedTracks();
    const a1 = r.nextRequest();
    expect(r.refuse(job('a'), refusal, a1)).toBe('aside');
    expect(r.acceptedAt('https://cdn.example', 'a', r.nextRequest())).toEqual([]);
    expect(r.acceptedAt('https://other.example', 'z', r.nextRequest())).toEqual([]);
    expect(r.isAside('a')).toBe(true);
    const a2 = r.nextRequest();
    const c = r.nextRequest();
    r.acceptedAt('https://cdn.example', 'c', c);
    expect(r.refuse(job('a'), refusal, a2)).toBe('track'); // c, sent after a2, was accepted
  });

  it(`${REFUSED_BEFORE_PAUSE} tracks refused at one origin with nothing accepted since: the session`, () => {
    const r = new RefusedTracks();
    const verdicts = ['a', 'b', 'c'].map((id) => r.refuse(job(id), refusal, r.nextRequest()));
    expect(verdicts).toEqual(['aside', 'aside', 'session']);
    r.clear();
    expect(['a', 'b', 'c'].some((id) => r.isAside(id))).toBe(false);
  });

  it('remembers the latest acceptance by another track than the latest one', () => {
    const r = new RefusedTracks();
    const n = Array.from({ length: 4 }, () => r.nextRequest());
    r.acceptedAt('o', 'b', n[1]!);
    r.acceptedAt('o', 'a', n[3]!); // a is the latest; b the latest other
    expect(r.refuse(job('a', 'o'), refusal, n[0]!)).toBe('track'); // b's request 2 came after a's request 1
    expect(r.refuse(job('a', 'o'), refusal, n[2]!)).toBe('aside'); // nothing by another track after request 3
  });

  it('forgets tracks no longer planned', () => {
    const r = new RefusedTracks();
    r.refuse(job('a'), refusal, r.nextRequest());
    r.refuse(job('b'), refusal, r.nextRequest());
    r.retain((id) => id === 'b');
    expect([r.isAside('a'), r.isAside('b')]).toEqual([false, true]);
    expect(r.origins()).toEqual(['https://cdn.example']);
  });
});
