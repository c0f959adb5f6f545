import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ManifestTrackV2 } from '../../src/manifest/v2/partSchema.js';
import { assembleManifest } from '../../src/publish/assembleManifest.js';
import { createSigner } from '../../src/publish/createSigner.js';
import { digestFromChunks } from '../../src/publish/digestFile.js';
import { CHUNK, chunkDigests, key, type TrackSpec } from './catalog.js';
import type { TestOrigin } from './origin.js';

export interface PublishV2Options {
  tracks: TrackSpec[];
  playlists: { id: string; trackIds: string[]; offline?: boolean; name?: string }[];
  epoch?: number;
  version: number;
  kid?: string;
  partCount?: number;
}

/**
 * Publishes a `reprise-manifest/2` on the origin: media, chunk lists at /index/<contentId>,
 * parts at /parts/<sha>.json, and the root at /manifest.jws with a strong ETag (answered 304
 * to a matching If-None-Match, as a CDN would).
 */
export async function publishV2(origin: TestOrigin, o: PublishV2Options) {
  const tracks: ManifestTrackV2[] = o.tracks.map((t) => {
    const path = t.path ?? `/media/${t.id}.mp3`;
    origin.put(path, t.body);
    const chunkSize = t.chunkSize ?? CHUNK;
    const digest = digestFromChunks(t.body.length, chunkSize, chunkDigests(t.body, chunkSize));
    origin.put(`/index/${digest.contentId}`, Buffer.from(digest.chunkList), 'application/octet-stream');
    return { id: t.id, url: path.slice(1), mimeType: 'audio/mpeg', size: t.body.length, chunkSize, contentId: digest.contentId, title: t.id };
  });
  const playlists = o.playlists.map((p) => ({ id: p.id, name: p.name ?? p.id, trackIds: [...p.trackIds], ...(p.offline !== undefined ? { offline: p.offline } : {}) }));
  const signer = await createSigner({ privateJwk: { ...(await key(o.kid ?? 'k1')).privateJwk, kid: o.kid ?? 'k1' } });
  const assembled = await assembleManifest({ tracks, playlists, signer, securityEpoch: o.epoch ?? 1, version: o.version, partCount: o.partCount ?? 4 });
  for (const part of assembled.parts) origin.put(`/${part.url}`, part.body, 'application/json');
  origin.put('/manifest.jws', assembled.jws, 'application/jose');
  return assembled;
}

/** Makes the origin answer the root with an ETag and 304 to a matching If-None-Match. */
export function rootValidators(origin: TestOrigin): void {
  origin.faults.unshift((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/manifest.jws') return false;
    const file = origin.files.get('/manifest.jws');
    if (!file) return false;
    const etag = `"${createHash('sha256').update(file.body).digest('base64url')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return true;
    }
    res.writeHead(200, { etag, 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
    return true;
  });
}
