import { openOfflineCache } from 'reprise';

const $ = (selector) => document.querySelector(selector);
const player = $('#player');
const show = (error) => ($('#error').textContent = error ? `${error.name}: ${error.message}` : '');

const cache = await openOfflineCache({
  manifestUrl: 'manifest.jws',
  trustedKeys: __TRUSTED_KEYS__, // from keys/*.public.jwk, see vite.config.js
  appSecurityEpoch: 1,
  serviceWorker: { url: 'sw.js' }, // ours: it imports reprise's and caches the app shell
});
window.cache = cache; // for the console

async function render() {
  const status = await cache.status();
  $('#state').textContent = status.state;
  const titles = new Map(status.tracks.map((t) => [t.id, t]));
  $('#playlists').replaceChildren(...status.playlists.map((p) => {
    const section = document.createElement('article');
    section.dataset.playlist = p.id;
    section.dataset.complete = String(p.tracksComplete === p.trackIds.length);
    const toggle = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: p.offline });
    box.addEventListener('change', () => cache.setOffline(p.id, box.checked).then(render, show));
    toggle.append(box, ` ${p.name} — keep offline (${p.tracksComplete}/${p.trackIds.length} on this device)`);
    const list = document.createElement('ol');
    for (const id of p.trackIds) {
      const track = titles.get(id);
      const item = document.createElement('li');
      const play = Object.assign(document.createElement('button'), { textContent: `▶ ${track?.title ?? id}${track?.artist ? ` — ${track.artist}` : ''}` });
      play.dataset.track = id;
      play.addEventListener('click', () => {
        player.src = cache.trackUrl(id); // served by the service worker, verified, with Range
        player.play().catch(show);
      });
      item.append(play);
      list.append(item);
    }
    section.append(toggle, list);
    return section;
  }));
}

cache.on('state', (e) => ($('#state').textContent = e.state));
cache.on('track-complete', () => void render());
cache.on('track-failed', (e) => show({ name: e.code, message: e.message }));
// A new build waits; this demo switches at once (applyUpdate reloads into the new shell).
cache.on('app-update', () => void cache.applyUpdate());

try {
  const report = await cache.sync(); // offline: the stored manifest stays in force
  if (report.manifest === 'unreachable') show({ name: 'offline', message: 'playing what is on this device' });
} catch (error) {
  show(error);
}
await render();
document.body.dataset.ready = 'true';
