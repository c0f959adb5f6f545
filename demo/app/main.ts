// The demo player: uses reprise exactly as an app would — the page client (the shipped
// /reprise/client.js), its cache worker, and a service worker (/demo-sw.js) that imports
// reprise's and also keeps the app shell, so a reload with the server down still opens the app.
import { openOfflineCache, type CacheStatus, type OfflineCache, type ProgressEvent, type SyncReport } from '../../src/client/index.js';
import { fetchCatalog, tellService } from './catalogInfo.js';
import type { Damage } from './damageStore.js';
import { logEvent } from './EventLog.js';
import { wireFaultsPanel } from './faultsPanel.js';
import { $, esc, eta, mb, plural, rate } from './format.js';
import { Player } from './Player.js';
import { renderPlaylists } from './PlaylistsView.js';
import { renderReport } from './ReportView.js';
import { simulateSecurityReset, simulateStorageWiped, type SimulationContext } from './simulations.js';
import { renderStorage } from './StorageMeter.js';
import { ThroughputChart } from './ThroughputChart.js';
import { TrackRates } from './TrackRates.js';

const UNLIMITED = 1e12;
const config = (await (await fetch('/config.json')).json()) as { manifestUrl: string; trustedKeys: JsonWebKey[] };
const { info: catalog, byId } = await fetchCatalog();
const rates = new TrackRates();
const chart = new ThroughputChart($<HTMLCanvasElement>('chart'));
let cache: OfflineCache;
let status: CacheStatus | null = null;
let overall: { at: number; o: ProgressEvent['overall'] } | null = null;
let lastDamage: Damage | null = null;
let lastReport: SyncReport | null = null;
let refetch: { since: number; expected: number; bytes: number } | null = null;

const player = new Player(() => cache, byId, (id) => catalog.playlists.find((p) => p.id === id)?.name ?? id);
player.onChange = () => status && render();
player.onError = (text) => logEvent(text, 'bad');

async function connect(): Promise<void> {
  cache = await openOfflineCache({
    manifestUrl: config.manifestUrl,
    trustedKeys: config.trustedKeys as never, // shipped in the app build; never taken from the network
    appSecurityEpoch: 1,
    throttle: { maxConcurrent: Number($<HTMLSelectElement>('concurrency').value), bytesPerSecond: Number($<HTMLSelectElement>('cap').value) || UNLIMITED },
    serviceWorker: { url: '/demo-sw.js' },
  });
  cache.on('state', (s) => {
    showState(s);
    refreshSoon();
  });
  cache.on('progress', (e) => {
    overall = { at: performance.now(), o: e.overall };
    rates.add(e.trackId, e.bytesDone);
    showOverall();
    refreshSoon();
  });
  cache.on('track-complete', (e) => logEvent(`<b>${esc(byId.get(e.trackId)?.title ?? e.trackId)}</b> is on the device, verified`, 'good'));
  cache.on('track-failed', (e) => logEvent(`<b>${esc(byId.get(e.trackId)?.title ?? e.trackId)}</b> failed: ${e.code}`, 'bad'));
  cache.on('reset', (r) => logEvent(`reset detected: <b>${r.kind}</b> — kept ${plural(r.kept.tracks, 'track')}, ${plural(r.toFetch.tracks, 'track')} to fetch`));
  cache.on('app-update', () => logEvent('a new version of the app is ready — reload to use it'));
  $('role').textContent = cache.role === 'leader' ? 'this tab downloads' : 'another tab downloads';
  Object.assign(window, { demo: { cache, get lastDamage() { return lastDamage; }, get lastReport() { return lastReport; }, get refetch() { return refetch; }, get refreshing() { return refreshing; } } });
}

function showState(s: CacheStatus['state']): void {
  const pill = $('state');
  pill.textContent = s.state + ('reason' in s && s.reason ? ` · ${s.reason}` : '') + (s.state === 'auditing' ? ` ${s.progress.chunksDone}/${s.progress.chunksTotal} chunks` : '');
  pill.className = 'pill ' + (s.state === 'idle' ? 'ok' : s.state === 'paused' || s.state === 'waiting' ? 'warn' : 'busy');
  $('pause').textContent = s.state === 'paused' && s.reason === 'user' ? 'Resume' : 'Pause';
}

function showOverall(): void {
  if (!overall) return;
  const o = overall.o;
  $('overall-bar').style.width = `${o.bytesTotal ? (100 * o.bytesDone) / o.bytesTotal : 0}%`;
  $('overall-text').textContent = `${mb(o.bytesDone)} of ${mb(o.bytesTotal)} · ${rate(o.bytesPerSecond)}${o.etaSeconds !== null ? ' · ' + eta(o.etaSeconds) : ''}`;
}

function render(): void {
  if (!status) return;
  $('manifest').textContent = status.manifest ? `epoch ${status.manifest.epoch} · key ${status.manifest.kid}` : 'no trusted manifest';
  showState(status.state);
  renderPlaylists(status, catalog, byId, rates, {
    setOffline: (id, offline) => void setOffline(id, offline),
    play: (id, queue) => void player.play(id, queue),
    nowPlaying: () => player.current?.id,
  });
  renderStorage(status.storage);
}

async function setOffline(id: string, offline: boolean): Promise<void> {
  await cache.setOffline(id, offline);
  tellService(`/api/playlists/${encodeURIComponent(id)}`, { offline });
  logEvent(`${offline ? 'keeping' : 'released'} <b>${esc(catalog.playlists.find((p) => p.id === id)?.name ?? id)}</b> offline`);
  await refresh();
}

let refreshing: Promise<void> | null = null;
async function refresh(): Promise<void> {
  refreshing ??= (async () => {
    try {
      status = await cache.status();
      render();
      if (refetch && status.state.state === 'idle') await showRefetch();
    } catch (e) {
      // A simulation closed this cache to open a new one: the next refresh reads the new one.
      // Anything else is shown, not thrown: most callers do not await a refresh.
      if ((e as Error).name !== 'aborted') logEvent(`refresh failed: <b>${esc((e as Error).name)}</b> ${esc((e as Error).message)}`, 'bad');
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
let scheduled = false;
function refreshSoon(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    void refresh();
  }, 300);
}

/** What the origin sent since the last simulation, next to what the damage called for. */
async function showRefetch(): Promise<void> {
  if (!refetch) return;
  const since = refetch.since;
  // The demo server's request log; with the server stopped there is none to show (and no error).
  const log = (await fetch(`/admin/requests?since=${since}`)
    .then((r) => r.json())
    .catch(() => null)) as { bytes: number }[] | null;
  if (!log || refetch?.since !== since) return;
  refetch.bytes = log.reduce((s, r) => s + r.bytes, 0);
  $('refetch').innerHTML = `fetched again: <b>${mb(refetch.bytes)}</b>${refetch.expected ? ` · the damage: ${mb(refetch.expected)}` : ''}`;
}

async function sync(damage: Damage | null): Promise<SyncReport | null> {
  $<HTMLButtonElement>('sync').disabled = true;
  try {
    const report = await cache.sync();
    lastReport = report;
    lastDamage = damage;
    renderReport(report, damage);
    $('offline-banner').hidden = report.manifest !== 'unreachable';
    logEvent(`sync: <b>${report.kind}</b>, manifest ${report.manifest}`);
    return report;
  } catch (e) {
    logEvent(`sync refused: <b>${esc((e as Error).name)}</b> ${esc((e as Error).message)}`, 'bad');
    return null;
  } finally {
    $<HTMLButtonElement>('sync').disabled = false;
    void refresh();
  }
}

const simulations: SimulationContext = {
  cache: () => cache,
  status: () => cache.status(),
  tracks: byId,
  sync,
  reconnect: connect,
  async markRefetch(expected) {
    const state = (await (await fetch('/admin/state')).json()) as { lastSeq: number };
    refetch = { since: state.lastSeq, expected, bytes: 0 };
    $('refetch').textContent = '';
  },
};

/** Runs a button's action with the button disabled, reporting a failure in the event list. */
function button(id: string, action: () => Promise<unknown>): void {
  const b = $<HTMLButtonElement>(id);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await action();
    } catch (e) {
      logEvent(`${esc(b.textContent ?? id)}: ${esc((e as Error).message)}`, 'bad');
    } finally {
      b.disabled = false;
      void refresh();
    }
  });
}

button('sync', () => sync(null));
button('pause', () => (status?.state.state === 'paused' && status.state.reason === 'user' ? cache.resume() : cache.pause()));
button('verify', async () => {
  const audit = await cache.verify();
  logEvent(`verify: ${audit.chunksChecked} chunks re-hashed, <b>${audit.corruptChunks}</b> corrupt, ${plural(audit.toFetch.tracks, 'track')} to fetch`);
});
button('reset', () => simulateSecurityReset(simulations, Number($<HTMLInputElement>('corrupt-n').value) || 0, Number($<HTMLInputElement>('delete-m').value) || 0));
button('wipe', () => simulateStorageWiped(simulations));
for (const id of ['cap', 'concurrency']) {
  $(id).addEventListener('change', async () => {
    const cap = Number($<HTMLSelectElement>('cap').value);
    await cache.setThrottle({ bytesPerSecond: cap || UNLIMITED, maxConcurrent: Number($<HTMLSelectElement>('concurrency').value) });
    logEvent(`throttle: ${cap ? rate(cap) : 'no cap'}, ${$<HTMLSelectElement>('concurrency').value} at a time`);
    void refresh();
  });
}
wireFaultsPanel($('faults'));

// The chart samples the rate twice a second; no progress for 1.5 s means nothing is flowing.
setInterval(() => {
  const flowing = overall && performance.now() - overall.at < 1500 ? overall.o.bytesPerSecond : 0;
  const cap = status?.throttle.bytesPerSecond ?? null;
  chart.add(flowing, cap && cap < UNLIMITED ? cap : null);
}, 500);
window.addEventListener('online', () => void sync(null));

await connect();
await refresh();
await sync(null);
