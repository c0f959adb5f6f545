import { createHash } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import type { Manifest } from '../src/manifest/schema.js';
import { loadCatalogState, type CatalogState } from './catalogState.js';
import { loadAudio } from './music/loadAudio.js';
import { PLAYLISTS } from './music/songs.js';

export const CHUNK_SIZE = 64 * 1024;

export interface DemoTrack {
  id: string;
  playlistId: string;
  title: string;
  artist: string;
  album: string;
  seconds: number;
  body: Buffer;
  chunks: string[];
}

export interface SecurityResetResult {
  epoch: number;
  kid: string;
  revoked: string[];
  /** False once every key of the ring is used: the reset then only raises the epoch. */
  rotated: boolean;
}

/**
 * The demo service's catalog: MP3 tracks in three playlists, a ring of signing keys, the
 * security epoch, and the service's record of the listener's offline playlists and plays.
 */
export class DemoCatalog {
  readonly tracks = new Map<string, DemoTrack>();

  private constructor(
    private readonly state: CatalogState,
    private readonly save: () => void,
    audio: Awaited<ReturnType<typeof loadAudio>>,
  ) {
    for (const { song, body } of audio) {
      const playlistId = PLAYLISTS.find((p) => p.songs.includes(song))!.id;
      this.tracks.set(song.id, { id: song.id, playlistId, title: song.title, artist: song.artist, album: song.album, seconds: song.seconds, body, chunks: digests(body) });
    }
  }

  /** `audioDir`: where the generated MP3 files are cached; `stateFile`: where the service's state persists (none: in memory). */
  static async create(options: { audioDir: string; stateFile?: string; log?: (line: string) => void }): Promise<DemoCatalog> {
    const audio = await loadAudio(options.audioDir, options.log);
    const { state, save } = await loadCatalogState(options.stateFile);
    return new DemoCatalog(state, save, audio);
  }

  get epoch() {
    return this.state.epoch;
  }
  get signingKid() {
    return this.state.signingKid;
  }
  get revoked() {
    return this.state.revoked;
  }
  get publicKeys() {
    return this.state.keys.map((k) => k.publicJwk);
  }

  playlists() {
    return PLAYLISTS.map((p) => {
      const record = this.state.playlists[p.id] ?? {};
      return { id: p.id, name: p.name, offline: record.offline ?? p.offline, lastPlayedAt: record.lastPlayedAt ?? null, trackIds: p.songs.map((s) => s.id) };
    });
  }

  /** The listener chose to keep (or release) a playlist on their devices. */
  setOffline(playlistId: string, offline: boolean): boolean {
    if (!PLAYLISTS.some((p) => p.id === playlistId)) return false;
    this.state.playlists[playlistId] = { ...this.state.playlists[playlistId], offline };
    this.save();
    return true;
  }

  /** A track was played: its playlist's `lastPlayedAt` is now. */
  notePlayed(trackId: string): boolean {
    const track = this.tracks.get(trackId);
    if (!track) return false;
    this.state.playlists[track.playlistId] = { ...this.state.playlists[track.playlistId], lastPlayedAt: new Date().toISOString() };
    this.save();
    return true;
  }

  manifest(): Manifest {
    return {
      format: 'reprise-manifest/1',
      securityEpoch: this.state.epoch,
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
      ...(this.state.revoked.length ? { revokedKeyIds: this.state.revoked } : {}),
      resync: { windowSeconds: 0, maxConcurrent: 3 },
      // `lastPlayedAt` is the service's record (DESIGN.md): after storage-lost, most recently played first.
      playlists: this.playlists().map(({ lastPlayedAt, ...p }) => ({ ...p, ...(lastPlayedAt ? { lastPlayedAt } : {}) })),
      tracks: [...this.tracks.values()].map((t) => ({
        id: t.id,
        url: `../media/${encodeURIComponent(t.id)}.mp3`,
        mimeType: 'audio/mpeg',
        size: t.body.length,
        chunkSize: CHUNK_SIZE,
        chunks: t.chunks,
        title: t.title,
        artist: t.artist,
        durationSeconds: t.seconds,
      })),
    };
  }

  async signed(): Promise<string> {
    const key = this.state.keys.find((k) => k.kid === this.state.signingKid)!;
    return new CompactSign(new TextEncoder().encode(JSON.stringify(this.manifest())))
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(await importJWK(key.privateJwk, 'ES256'));
  }

  /** A breach response: the security epoch goes up, the signing key is rotated and the old one revoked. */
  securityReset(): SecurityResetResult {
    this.state.epoch++;
    const next = this.state.keys[this.state.keys.findIndex((k) => k.kid === this.state.signingKid) + 1];
    if (next) {
      this.state.revoked = [...this.state.revoked, this.state.signingKid];
      this.state.signingKid = next.kid;
    }
    this.save();
    return { epoch: this.state.epoch, kid: this.state.signingKid, revoked: this.state.revoked, rotated: next !== undefined };
  }
}

function digests(body: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i += CHUNK_SIZE) out.push(createHash('sha256').update(body.subarray(i, i + CHUNK_SIZE)).digest('base64url'));
  return out;
}
