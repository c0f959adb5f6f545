import type { OfflineCache } from '../../src/client/index.js';
import { tellService, type CatalogTrack } from './catalogInfo.js';
import { $, clock, esc } from './format.js';

/**
 * The now-playing bar: play/pause, previous/next through the playlist, a seek bar with times,
 * and the Media Session (lock-screen and headset controls). Audio comes from `trackUrl()`,
 * the service worker's verified copy, whether the server is up or not.
 */
export class Player {
  readonly audio = $<HTMLAudioElement>('audio');
  private queue: string[] = [];
  private index = -1;
  private seeking = false;
  onChange: () => void = () => {};
  onError: (text: string) => void = () => {};

  constructor(
    private cache: () => OfflineCache,
    private readonly tracks: Map<string, CatalogTrack>,
    private readonly playlistName: (id: string) => string,
  ) {
    const seek = $<HTMLInputElement>('seek');
    $('play').addEventListener('click', () => this.toggle());
    $('prev').addEventListener('click', () => this.previous());
    $('next').addEventListener('click', () => this.step(1));
    seek.addEventListener('input', () => {
      this.seeking = true;
      $('time-now').textContent = clock(Number(seek.value));
    });
    seek.addEventListener('change', () => {
      this.audio.currentTime = Number(seek.value);
      this.seeking = false;
    });
    this.audio.addEventListener('timeupdate', () => this.showTime());
    this.audio.addEventListener('loadedmetadata', () => this.showTime());
    this.audio.addEventListener('play', () => this.showState());
    this.audio.addEventListener('pause', () => this.showState());
    this.audio.addEventListener('ended', () => this.step(1));
    this.audio.addEventListener('error', () => {
      const t = this.current;
      if (t) this.onError(`could not play <b>${esc(t.title)}</b>: ${this.audio.error?.message || 'media error ' + this.audio.error?.code}`);
    });
    const session = navigator.mediaSession;
    if (session) {
      session.setActionHandler('play', () => void this.audio.play());
      session.setActionHandler('pause', () => this.audio.pause());
      session.setActionHandler('previoustrack', () => this.previous());
      session.setActionHandler('nexttrack', () => this.step(1));
      session.setActionHandler('seekto', (d) => d.seekTime !== undefined && (this.audio.currentTime = d.seekTime));
      session.setActionHandler('seekbackward', (d) => (this.audio.currentTime = Math.max(0, this.audio.currentTime - (d.seekOffset ?? 10))));
      session.setActionHandler('seekforward', (d) => (this.audio.currentTime = Math.min(this.audio.duration || 0, this.audio.currentTime + (d.seekOffset ?? 10))));
    }
  }

  get current(): CatalogTrack | undefined {
    return this.tracks.get(this.queue[this.index] ?? '');
  }

  get playing(): boolean {
    return !this.audio.paused;
  }

  /** Plays `trackId` with its playlist as the queue. */
  async play(trackId: string, queue: string[]): Promise<void> {
    this.queue = queue;
    this.index = queue.indexOf(trackId);
    const track = this.current;
    if (!track) return;
    this.audio.src = this.cache().trackUrl(track.id);
    $('np-title').innerHTML = esc(track.title);
    $('np-artist').innerHTML = `${esc(track.artist)} · ${esc(this.playlistName(track.playlistId))}`;
    $<HTMLImageElement>('np-cover').src = `/cover/${track.playlistId}.svg`;
    $('player').classList.add('active');
    if (navigator.mediaSession) {
      navigator.mediaSession.metadata = new MediaMetadata({
        title: track.title,
        artist: track.artist,
        album: track.album,
        artwork: [{ src: `/cover/${track.playlistId}.svg`, sizes: '512x512', type: 'image/svg+xml' }],
      });
    }
    tellService('/api/played', { trackId: track.id });
    this.onChange();
    try {
      await this.audio.play();
    } catch (e) {
      // A newer play() or pause() supersedes this one: not an error.
      if ((e as DOMException).name !== 'AbortError') this.onError(`could not play <b>${esc(track.title)}</b>: ${esc((e as Error).message)}`);
    }
  }

  toggle(): void {
    if (!this.current) return;
    if (this.audio.paused) void this.audio.play();
    else this.audio.pause();
  }

  /** Back to the start of the track, or to the previous track in the first 3 seconds. */
  previous(): void {
    if (this.audio.currentTime > 3) this.audio.currentTime = 0;
    else this.step(-1);
  }

  step(by: number): void {
    const next = this.queue[this.index + by];
    if (next) void this.play(next, this.queue);
  }

  private showState(): void {
    $('play').textContent = this.audio.paused ? '▶' : '❚❚';
    $('play').setAttribute('aria-label', this.audio.paused ? 'Play' : 'Pause');
    if (navigator.mediaSession) navigator.mediaSession.playbackState = this.audio.paused ? 'paused' : 'playing';
    this.onChange();
  }

  private showTime(): void {
    const duration = Number.isFinite(this.audio.duration) ? this.audio.duration : (this.current?.seconds ?? 0);
    const seek = $<HTMLInputElement>('seek');
    seek.max = String(duration);
    if (!this.seeking) {
      seek.value = String(this.audio.currentTime);
      $('time-now').textContent = clock(this.audio.currentTime);
    }
    $('time-total').textContent = clock(duration);
    if (navigator.mediaSession?.setPositionState && duration > 0) {
      navigator.mediaSession.setPositionState({ duration, position: Math.min(duration, this.audio.currentTime), playbackRate: this.audio.playbackRate });
    }
  }
}
