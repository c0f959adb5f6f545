// The demo app: uses reprise exactly as an app would (the page client from /reprise/client.js,
// the cache worker, the ready-made service worker at /sw.js).
import { openOfflineCache } from '/reprise/client.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();

const cache = await openOfflineCache({
  manifestUrl: config.manifestUrl,
  trustedKeys: config.trustedKeys, // shipped in the app build; never taken from the network
  appSecurityEpoch: 1,
  throttle: { maxConcurrent: 3, bytesPerSecond: 500_000 },
  serviceWorker: { url: '/sw.js' },
});
window.cache = cache; // for the console and the demo's browser test

const mb = (n) => (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + ' MB';
let status = null;
let overall = null;
let nowPlaying = null;

function log(text) {
  const li = document.createElement('li');
  li.innerHTML = `<span>${new Date().toLocaleTimeString()}</span> ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 40) $('log').lastChild.remove();
}

function showState(s) {
  const pill = $('state');
  pill.textContent = s.state + (s.reason ? ` (${s.reason})` : '') + (s.progress ? ` ${s.progress.chunksDone}/${s.progress.chunksTotal} chunks` : '');
  pill.className = 'pill ' + (s.state === 'idle' ? 'ok' : s.state === 'paused' ? 'warn' : '');
  $('pause').textContent = s.state === 'paused' && s.reason === 'user' ? 'Resume' : 'Pause';
}

function showReport(r) {
  const rows = [
    ['kind', `<b>${r.kind}</b>`],
    ['reasons', r.reasons.join(', ')],
    ['epoch', `${r.fromEpoch} → ${r.toEpoch}`],
    ['manifest', r.manifest],
    ['kept', `${r.kept.tracks} tracks, ${mb(r.kept.bytes)}`],
    ['to fetch', `${r.toFetch.tracks} tracks, ${mb(r.toFetch.bytes)}`],
    ['corrupt chunks', r.corruptChunks],
    ['missing chunks', r.missingChunks],
    ['held back', `${r.heldBack.tracks} tracks`],
    ['refused', r.refused.length ? r.refused.map((x) => `${x.trackId}: ${x.code}`).join(', ') : 'none'],
    ['took', `${r.durationMs} ms`],
  ];
  $('report').innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('');
}

function render() {
  if (!status) return;
  $('role').textContent = cache.role === 'leader' ? 'this tab downloads' : 'another tab downloads';
  $('manifest').textContent = status.manifest ? `epoch ${status.manifest.epoch} · key ${status.manifest.kid}` : 'no trusted manifest';
  showState(status.state);
  const byId = new Map(status.tracks.map((t) => [t.id, t]));
  $('playlists').innerHTML = '';
  for (const p of status.playlists) {
    const card = document.createElement('div');
    card.className = 'card playlist';
    card.innerHTML = `
      <header>
        <div><h3>${p.name}</h3><div class="meta">${p.tracksComplete}/${p.trackIds.length} on device · ${mb(p.bytesDone)} of ${mb(p.bytesTotal)}${p.source === 'service' ? ' · service default' : ''}${p.evicted ? ' · evicted' : ''}</div></div>
        <label class="switch"><input type="checkbox" ${p.offline ? 'checked' : ''}> Keep offline</label>
      </header>
      <ul class="tracks"></ul>`;
    card.querySelector('input').addEventListener('change', async (e) => {
      await cache.setOffline(p.id, e.target.checked);
      log(`${e.target.checked ? 'keeping' : 'released'} <b>${p.name}</b>`);
      refresh();
    });
    const list = card.querySelector('.tracks');
    for (const id of p.trackIds) {
      const t = byId.get(id);
      const li = document.createElement('li');
      const pct = t.bytesTotal ? (100 * t.bytesDone) / t.bytesTotal : 0;
      li.innerHTML = `
        <button title="Play" ${t.state === 'complete' ? '' : 'disabled'}>${nowPlaying === id ? '■' : '▶'}</button>
        <span class="title">${t.title ?? id}<small>${t.artist ?? ''}</small></span>
        <div class="bar"><div style="width:${pct}%"></div></div>
        <span class="badge ${t.state}" title="${t.failure ? t.failure.code + ': ' + t.failure.message : ''}">${t.state}</span>`;
      li.querySelector('button').addEventListener('click', () => play(id, t));
      list.append(li);
    }
    $('playlists').append(card);
  }
}

async function play(id, t) {
  const audio = $('audio');
  if (nowPlaying === id) {
    audio.pause();
    nowPlaying = null;
    render();
    return;
  }
  nowPlaying = id;
  audio.src = cache.trackUrl(id); // served by the service worker, verified chunk by chunk
  $('now').textContent = `${t.title} — ${t.artist}`;
  try {
    await audio.play();
  } catch (e) {
    log(`could not play ${t.title}: ${e.message}`);
    nowPlaying = null;
  }
  render();
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    status = await cache.status();
    render();
  } finally {
    refreshing = false;
  }
}
let scheduled = false;
const refreshSoon = () => {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    refresh();
  }, 250);
};

cache.on('state', (s) => {
  showState(s);
  refreshSoon();
});
cache.on('progress', (e) => {
  overall = e.overall;
  const o = e.overall;
  $('overall-bar').style.width = `${o.bytesTotal ? (100 * o.bytesDone) / o.bytesTotal : 0}%`;
  $('overall-text').textContent = `${mb(o.bytesDone)} of ${mb(o.bytesTotal)} · ${(o.bytesPerSecond / 1e3).toFixed(0)} kB/s${o.etaSeconds != null ? ` · ${Math.ceil(o.etaSeconds)} s left` : ''}`;
  refreshSoon();
});
cache.on('track-complete', (e) => log(`<b>${e.trackId}</b> is on the device, verified`));
cache.on('track-failed', (e) => log(`<b>${e.trackId}</b> failed: ${e.code}`));
cache.on('reset', (r) => log(`reset detected: <b>${r.kind}</b> — kept ${r.kept.tracks} tracks, ${r.toFetch.tracks} to fetch`));
cache.on('app-update', () => log('a new version of the app is ready — reload to use it'));

async function sync() {
  $('sync').disabled = true;
  try {
    const report = await cache.sync();
    showReport(report);
    log(`sync: <b>${report.kind}</b>, manifest ${report.manifest}`);
  } catch (e) {
    log(`sync refused: <b>${e.name}</b> ${e.message}`);
  } finally {
    $('sync').disabled = false;
    refresh();
  }
}

$('sync').addEventListener('click', sync);
$('pause').addEventListener('click', async () => {
  if (status?.state.state === 'paused' && status.state.reason === 'user') await cache.resume();
  else await cache.pause();
  refresh();
});
$('verify').addEventListener('click', async () => {
  const audit = await cache.verify();
  log(`verify: ${audit.chunksChecked} chunks re-hashed, <b>${audit.corruptChunks}</b> corrupt, ${audit.toFetch.tracks} tracks to fetch`);
  refresh();
});
$('throttle').addEventListener('change', async (e) => {
  const value = Number(e.target.value);
  await cache.setThrottle({ bytesPerSecond: value || 1e12 });
  log(`bandwidth cap: ${value ? (value / 1e3).toFixed(0) + ' kB/s' : 'none'}`);
});
$('reset').addEventListener('click', async () => {
  const r = await (await fetch('/admin/security-reset', { method: 'POST' })).json();
  log(`server: breach response — epoch ${r.epoch}, signing key ${r.kid}, revoked ${r.revoked.join(', ') || 'none'}, re-published ${r.changed}`);
  await sync();
});
$('damage').addEventListener('click', async () => {
  const n = await damageDevice();
  log(`damaged this device: ${n.corrupted} chunks corrupted, ${n.deleted} deleted`);
  refresh();
});
for (const box of document.querySelectorAll('[data-fault]')) {
  box.addEventListener('change', async () => {
    const on = box.dataset.on === 'true' ? true : Number(box.dataset.on);
    await fetch('/admin/faults', { method: 'POST', body: JSON.stringify({ [box.dataset.fault]: box.checked ? on : box.dataset.on === 'true' ? false : 0 }) });
    log(`origin fault ${box.dataset.fault}: ${box.checked ? 'on' : 'off'}`);
  });
}

/** What a failing disk does: flips a byte in 1 stored chunk in 8, and loses another 1 in 8. */
async function damageDevice() {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('reprise');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const keys = await new Promise((resolve) => {
    const req = db.transaction('chunks').objectStore('chunks').getAllKeys();
    req.onsuccess = () => resolve(req.result);
  });
  const corrupt = keys.filter((_, i) => i % 8 === 3);
  const lose = keys.filter((_, i) => i % 8 === 5);
  await new Promise((resolve) => {
    const tx = db.transaction('chunks', 'readwrite');
    const store = tx.objectStore('chunks');
    for (const key of corrupt) {
      const get = store.get(key);
      get.onsuccess = () => {
        const bytes = new Uint8Array(get.result.bytes.slice(0));
        bytes[bytes.length >> 1] ^= 0xff;
        store.put({ bytes: bytes.buffer }, key);
      };
    }
    for (const key of lose) store.delete(key);
    tx.oncomplete = resolve;
  });
  db.close();
  return { corrupted: corrupt.length, deleted: lose.length };
}

await refresh();
await sync();
