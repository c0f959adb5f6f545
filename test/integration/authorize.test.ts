// Issue 19: services that sign their requests — the manifest side (media: see the rotating-token test).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEngine } from '../../src/engine/index.js';
import type { AuthorizeRequest } from '../../src/manifest/v2/requestDocument.js';
import { CHUNK, bytesOf, openEngine, publish } from '../helpers/catalog.js';
import { TestOrigin } from '../helpers/origin.js';

let origin: TestOrigin;
let engine: CacheEngine | undefined;
let token = 'token-1';
beforeEach(async () => {
  origin = await TestOrigin.start();
  token = 'token-1';
  // The manifest endpoint wants the signed-in user.
  origin.faults.push((req, res) => (req.url === '/manifest.jws' && req.headers.authorization !== `Bearer ${token}` ? (res.writeHead(401).end(), true) : false));
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await origin.close();
});

const body = bytesOf('t1', CHUNK * 2);
const library = () => publish(origin, { tracks: [{ id: 't1', body }], playlists: [{ id: 'p', trackIds: ['t1'], offline: true }] });

describe('authorize(), manifest requests', () => {
  it('is called before the manifest request with kind "manifest"; its headers are sent', async () => {
    await library();
    const seen: AuthorizeRequest[] = [];
    const e = (engine = await openEngine(origin, { authorize: (r) => (seen.push(r), { headers: { Authorization: `Bearer ${token}` } }) }));
    const report = await e.sync();
    expect(report.manifest).toBe('accepted');
    expect(seen[0]).toEqual({ url: `${origin.url}/manifest.jws`, kind: 'manifest', attempt: 0 });
  });

  it('401 → asked again with attempt + 1, then retried once; a fresh token succeeds', async () => {
    await library();
    const attempts: number[] = [];
    const e = (engine = await openEngine(origin, {
      authorize: (r) => {
        if (r.kind === 'manifest') attempts.push(r.attempt);
        return { headers: { Authorization: `Bearer ${r.attempt === 0 ? 'expired' : token}` } };
      },
    }));
    await e.sync();
    expect(attempts).toEqual([0, 1]);
  });

  it('401 twice with a manifest stored: sync() rejects unauthorized, the stored manifest keeps serving', async () => {
    await library();
    const e = (engine = await openEngine(origin, { authorize: () => ({ headers: { Authorization: 'Bearer token-1' } }) }));
    await e.sync();
    await e.idle();
    token = 'token-2'; // the session ended on the server; the app's token is stale
    await expect(e.sync()).rejects.toMatchObject({ name: 'unauthorized' });
    expect(Buffer.from(await (await e.getTrack('t1')).arrayBuffer()).equals(body)).toBe(true);
  });

  it('a hook that throws is a failed authorization carrying the app\'s message, never the token', async () => {
    await library();
    const e = (engine = await openEngine(origin, {
      authorize: () => {
        throw new Error('the user is signed out');
      },
    }));
    const error = (await e.sync().catch((x: unknown) => x)) as Error;
    expect(error.name).toBe('unauthorized');
    expect(error.message).toMatch(/the user is signed out/);
  });

  it('a returned URL on a foreign origin is refused origin-not-allowed', async () => {
    await library();
    const e = (engine = await openEngine(origin, { authorize: () => ({ url: 'https://evil.example/manifest.jws?sig=SECRET' }) }));
    const error = (await e.sync().catch((x: unknown) => x)) as Error;
    expect(error.name).toBe('origin-not-allowed');
    expect(error.message).not.toMatch(/SECRET/);
  });
});
