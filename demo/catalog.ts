import { createHash } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import { generateKeys, type KeyPairJwks } from '../src/cli/keys.js';
import type { Manifest } from '../src/manifest/schema.js';
import { makeWav } from '../test/helpers/wav.js';

export const CHUNK_SIZE = 64 * 1024;

export interface DemoTrack {
  id: string;
  title: string;
  artist: string;
  seconds: number;
  body: Buffer;
  version: number;
}

const PLAYLISTS = [
  { id: 'road-trip', name: 'Road trip', offline: true, titles: ['Open Highway', 'Mile Marker 88', 'Dust and Chrome', 'Night Drive'] },
  { id: 'focus', name: 'Focus', offline: false, titles: ['Quiet Room', 'Paper Lanterns', 'Slow Tide'] },
  { id: 'morning', name: 'Morning', offline: false, titles: ['First Light', 'Coffee Steam', 'Window Seat'] },
];

/** The demo's sample catalog: real WAV audio, two signing keys (the second is the one a breach rotates to). */
export class DemoCatalog {
  readonly tracks = new Map<string, DemoTrack>();
  epoch = 1;
  signingKid: string;
  revoked: string[] = [];

  private constructor(readonly keys: KeyPairJwks[]) {
    this.signingKid = keys[0]!.kid;
    let n = 0;
    for (const p of PLAYLISTS) {
      for (const title of p.titles) {
        const id = `${p.id}-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
        const seconds = 18 + ((n * 7) % 14);
        this.tracks.set(id, { id, title, artist: p.name + ' Ensemble', seconds, body: makeWav(seconds, n), version: 1 });
        n++;
      }
    }
  }

  static async create(): Promise<DemoCatalog> {
    return new DemoCatalog([await generateKeys('k-demo-2026-05'), await generateKeys('k-demo-2026-11')]);
  }

  get publicKeys() {
    return this.keys.map((k) => k.publicJwk);
  }

  manifest(): Manifest {
    return {
      format: 'reprise-manifest/1',
      securityEpoch: this.epoch,
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
      ...(this.revoked.length ? { revokedKeyIds: this.revoked } : {}),
      resync: { windowSeconds: 0, maxConcurrent: 3 },
      playlists: PLAYLISTS.map((p) => ({ id: p.id, name: p.name, offline: p.offline, trackIds: [...this.tracks.values()].filter((t) => t.id.startsWith(p.id)).map((t) => t.id) })),
      tracks: [...this.tracks.values()].map((t) => ({
        id: t.id,
        url: `../media/${t.id}.wav?v=${t.version}`,
        mimeType: 'audio/wav',
        size: t.body.length,
        chunkSize: CHUNK_SIZE,
        chunks: digests(t.body),
        title: t.title,
        artist: t.artist,
        durationSeconds: t.seconds,
      })),
    };
  }

  async signed(): Promise<string> {
    const key = this.keys.find((k) => k.kid === this.signingKid)!;
    return new CompactSign(new TextEncoder().encode(JSON.stringify(this.manifest())))
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(await importJWK(key.privateJwk, 'ES256'));
  }

  /**
   * What a breach response looks like: the signing key is rotated (the old one revoked), the
   * security epoch goes up, and one track is re-published with new content.
   */
  securityReset(): { epoch: number; kid: string; revoked: string[]; changed: string } {
    this.epoch++;
    // The first reset rotates to the second key and revokes the first; later ones (both keys
    // used up in this demo) only raise the epoch.
    if (this.revoked.length === 0) {
      this.revoked = [this.signingKid];
      this.signingKid = this.keys.find((k) => k.kid !== this.signingKid)!.kid;
    }
    const changed = [...this.tracks.values()][this.epoch % this.tracks.size]!;
    changed.version++;
    changed.body = makeWav(changed.seconds, changed.version * 5 + 1);
    return { epoch: this.epoch, kid: this.signingKid, revoked: this.revoked, changed: changed.id };
  }
}

function digests(body: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i += CHUNK_SIZE) out.push(createHash('sha256').update(body.subarray(i, i + CHUNK_SIZE)).digest('base64url'));
  return out;
}
