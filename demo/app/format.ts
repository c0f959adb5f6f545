/** Bytes as MB (two decimals below 10 MB). */
export const mb = (n: number) => (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + ' MB';

/** Bytes as MB or GB, for quotas. */
export const size = (n: number) => (n >= 1e9 ? (n / 1e9).toFixed(1) + ' GB' : mb(n));

export const rate = (bytesPerSecond: number) => (bytesPerSecond >= 1e6 ? (bytesPerSecond / 1e6).toFixed(1) + ' MB/s' : (bytesPerSecond / 1e3).toFixed(0) + ' kB/s');

/** Seconds as m:ss. */
export const clock = (seconds: number) => {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** "1 track", "3 tracks". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Time left, rounded up: "done" only when nothing is left. */
export const eta = (seconds: number | null) => (seconds === null ? '' : seconds <= 0 ? 'done' : `${clock(Math.ceil(seconds))} left`);

/** Escapes text for innerHTML. */
export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};
