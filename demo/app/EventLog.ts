import { $ } from './format.js';

/** The event list: newest first, 60 at most. `html` is trusted markup built by the page. */
export function logEvent(html: string, kind: 'info' | 'good' | 'bad' = 'info'): void {
  const list = $('log');
  const li = document.createElement('li');
  li.className = kind;
  li.innerHTML = `<time>${new Date().toLocaleTimeString()}</time><span>${html}</span>`;
  list.prepend(li);
  while (list.children.length > 60) list.lastElementChild!.remove();
}
