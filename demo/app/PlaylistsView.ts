import type { CacheStatus, TrackStatus } from '../../src/client/index.js';
import type { CatalogInfo, CatalogTrack } from './catalogInfo.js';
import { $, clock, esc, eta, mb, rate } from './format.js';
import type { TrackRates } from './TrackRates.js';
import { patchChildren } from './patchChildren.js';

export interface PlaylistActions {
  setOffline(playlistId: string, offline: boolean): void;
  play(trackId: string, queue: string[]): void;
  nowPlaying(): string | undefined;
}

const LABEL: Record<TrackStatus['state'], string> = {
  complete: 'on device',
  downloading: 'downloading',
  queued: 'queued',
  partial: 'partial',
  missing: 'missing',
  failed: 'failed',
  refused: 'refused',
  'held-back': 'held back',
  'online-only': 'stream',
};

/** What the library's listeners act on: the status and actions of the last render. */
let shown: { status: CacheStatus; actions: PlaylistActions } | undefined;

/**
 * The library's two listeners, on its root once: the elements inside are kept across renders
 * (patchChildren), so a press that spans a render still ends in a click.
 */
function listen(root: HTMLElement): void {
  root.addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const id = input.closest<HTMLElement>('[data-playlist]')?.dataset.playlist;
    if (id && shown) shown.actions.setOffline(id, input.checked);
  });
  root.addEventListener('click', (e) => {
    const track = (e.target as Element).closest<HTMLElement>('[data-track]')?.dataset.track;
    const id = (e.target as Element).closest<HTMLElement>('[data-playlist]')?.dataset.playlist;
    const playlist = shown?.status.playlists.find((p) => p.id === id);
    if (track && playlist) shown!.actions.play(track, playlist.trackIds);
  });
}

/** The library: each playlist with its cover, its "keep offline" switch, and every track's progress, rate and ETA. */
export function renderPlaylists(status: CacheStatus, catalog: CatalogInfo, byId: Map<string, CatalogTrack>, rates: TrackRates, actions: PlaylistActions): void {
  const tracks = new Map(status.tracks.map((t) => [t.id, t]));
  const root = $('playlists');
  if (!shown) listen(root);
  shown = { status, actions };
  const cards: HTMLElement[] = [];
  for (const p of status.playlists) {
    const total = p.trackIds.reduce((s, id) => s + (byId.get(id)?.seconds ?? 0), 0);
    const played = p.lastPlayedAt ?? Date.parse(catalog.playlists.find((c) => c.id === p.id)?.lastPlayedAt ?? '');
    const card = document.createElement('section');
    card.className = 'card playlist';
    card.dataset.playlist = p.id;
    card.innerHTML = `
      <header>
        <img class="cover" src="/cover/${p.id}.svg" alt="">
        <div class="info">
          <h3>${esc(p.name)}</h3>
          <div class="meta">${p.trackIds.length} songs · ${clock(total)} · <b>${p.tracksComplete}/${p.trackIds.length}</b> on device (${mb(p.bytesDone)} of ${mb(p.bytesTotal)})</div>
          <div class="meta">${p.source === 'service' ? 'choice from your account' : 'choice made on this device'}${Number.isFinite(played) ? ` · played ${new Date(played).toLocaleString()}` : ''}${p.evicted ? ' · evicted' : ''}</div>
        </div>
        <label class="switch"><input type="checkbox" ${p.offline ? 'checked' : ''}><span>Keep offline</span></label>
      </header>
      <ol class="tracks"></ol>`;
    const list = card.querySelector('.tracks')!;
    p.trackIds.forEach((id, n) => {
      const t = tracks.get(id);
      const info = byId.get(id);
      if (!t) return;
      const pct = t.bytesTotal ? (100 * t.bytesDone) / t.bytesTotal : 0;
      const r = t.state === 'downloading' ? rates.rate(id) : null;
      const detail = t.state === 'downloading' ? `${pct.toFixed(0)}%${r ? ` · ${rate(r)} · ${eta((t.bytesTotal - t.bytesDone) / r)}` : ''}` : LABEL[t.state];
      const li = document.createElement('li');
      li.className = `track ${t.state}${actions.nowPlaying() === id ? ' playing' : ''}`;
      li.dataset.track = id;
      li.innerHTML = `
        <button class="num" aria-label="Play ${esc(t.title ?? id)}"><span>${n + 1}</span></button>
        <div class="title"><b>${esc(t.title ?? id)}</b><small>${esc(t.artist ?? '')}</small></div>
        <div class="progress" title="${t.failure ? esc(t.failure.code + ': ' + t.failure.message) : ''}">
          <div class="bar"><div style="width:${pct}%"></div></div>
          <small class="state">${detail}</small>
        </div>
        <span class="dur">${clock(info?.seconds ?? 0)}</span>`;
      list.append(li);
    });
    cards.push(card);
  }
  patchChildren(root, cards);
}
