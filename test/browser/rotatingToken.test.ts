// Issue 19 in Chromium through openOfflineCache: a CDN that wants a bearer token rotating every
// 2 s and media at signed URLs that expire 3 s after signing. The page's authorize() answers for
// the cache worker (a comlink proxy); a ≥ 20 s capped resync crosses ≥ 8 expiries and loses nothing.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWav } from '../helpers/wav.js';
import { callCache, must, openChromiumCache, openChromiumPage } from './chromiumPage.js';
import { launch, startSite } from './harness.js';

const KEY = 'cdn-signing-key';
const tokenAt = (ms: number) => `SECRET-${Math.floor(ms / 2000)}`;
const sign = (path: string, exp: number) => createHmac('sha256', KEY).update(`${path}:${exp}`).digest('hex');
const tracks = Array.from({ length: 60 }, (_, i) => ({ id: `t${i}`, body: makeWav(1, i + 1) }));
const size = tracks.reduce((n, t) => n + t.body.length, 0);

describe('authorize() with rotating tokens and expiring signed URLs, in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launch>>;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a 60-track sync lasting ≥ 20 s completes: 0 failed, each byte fetched once, no token stored or emitted', async () => {
    const site = await startSite(tracks, [{ id: 'all', trackIds: tracks.map((t) => t.id) }]);
    const refused = { token: 0, expired: 0 };
    site.origin.faults.push((req, res) => {
      const url = new URL(req.url!, site.origin.url);
      if (!url.pathname.startsWith('/media/')) return false;
      // The token of this 2 s window or of the one before (a token minted just before a rotation
    // arrives just after it on a busy machine: a CDN allows that much); older ones are refused.
    if (![tokenAt(Date.now()), tokenAt(Date.now() - 2000)].some((t) => req.headers.authorization === `Bearer ${t}`)) return (refused.token++, res.writeHead(401).end(), true);
      const exp = Number(url.searchParams.get('exp'));
      if (!(exp > Date.now()) || url.searchParams.get('sig') !== sign(url.pathname, exp)) return (refused.expired++, res.writeHead(403).end(), true);
      return false;
    });
    // The app's server signs media URLs for the page (as a real app would ask its API).
    site.origin.faults.unshift((req, res) => {
      const url = new URL(req.url!, site.origin.url);
      if (url.pathname !== '/api/sign') return false;
      const target = new URL(url.searchParams.get('url')!);
      const exp = Date.now() + 3000;
      target.searchParams.set('exp', String(exp));
      target.searchParams.set('sig', sign(target.pathname, exp));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: target.href, token: tokenAt(Date.now()) }));
      return true;
    });
    try {
      const page = await openChromiumPage(browser.context, site.url);
      await page.evaluate(async ({ rate, ...options }) => {
        const w = window as never as { openOfflineCache: (o: unknown) => Promise<any>; cache: any; events: unknown[]; calls: number };
        w.calls = 0;
        w.cache = await w.openOfflineCache({
          ...options,
          throttle: { bytesPerSecond: rate },
          async authorize(r: { url: string; kind: string }) {
            w.calls++;
            if (r.kind !== 'media') return undefined;
            const signed = await (await fetch(`/api/sign?url=${encodeURIComponent(r.url)}`)).json();
            return { url: signed.url, headers: { Authorization: `Bearer ${signed.token}` } };
          },
        });
        for (const type of ['progress', 'track-complete', 'track-failed', 'state', 'reset']) w.cache.on(type, (e: unknown) => w.events.push({ type, e }));
      }, { ...site.options, rate: Math.floor(size / 27) });
      const started = Date.now();
      await must(callCache(page, 'sync'));
      await must(callCache(page, 'setOffline', 'all', true));
      await must(callCache(page, 'idle'));
      const seconds = (Date.now() - started) / 1000;
      const result = await page.evaluate(async () => {
        const w = window as never as { cache: any; events: { type: string }[]; calls: number };
        const s = await w.cache.status();
        return { states: s.tracks.map((t: { state: string }) => t.state), events: JSON.stringify(w.events), failed: w.events.filter((e) => e.type === 'track-failed').length, calls: w.calls };
      });
      const media = site.origin.log.filter((r) => r.path.startsWith('/media/'));
      const sent = media.reduce((n, r) => n + r.bytes, 0);
      console.log(`[authorize, Chromium] ${tracks.length} tracks in ${seconds.toFixed(1)} s: ${Math.floor(seconds / 2)} token rotations, ${Math.floor(seconds / 3)} URL expiries crossed; ${result.calls} authorizations; refused ${refused.token} for the token, ${refused.expired} expired; bytes fetched ÷ bytes missing = ${(sent / size).toFixed(3)}`);
      expect(seconds).toBeGreaterThanOrEqual(24); // ≥ 8 expiries of a 3 s signed URL
      expect(result.states.every((s: string) => s === 'complete')).toBe(true);
      expect(result.failed).toBe(0);
      expect(sent).toBe(size);
      expect(result.events).not.toContain('SECRET');
      await page.close();
    } finally {
      await site.origin.close();
    }
  }, 90_000);
});
