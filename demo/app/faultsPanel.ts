import { logEvent } from './EventLog.js';

/** The "Flaky origin" controls: each sets one server-side knob (`POST /admin/faults`). */
export function wireFaultsPanel(root: HTMLElement): void {
  for (const input of root.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-fault]')) {
    input.addEventListener('change', async () => {
      const name = input.dataset.fault!;
      const value = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : Number(input.value);
      const res = await fetch('/admin/faults', { method: 'POST', body: JSON.stringify({ [name]: value }) }).catch(() => null);
      if (!res) return logEvent('the origin is unreachable: the setting was not sent', 'bad');
      if (!res.ok) return logEvent(`origin refused the setting: ${((await res.json()) as { error: string }).error}`, 'bad');
      const label = input instanceof HTMLSelectElement ? input.selectedOptions[0]?.textContent : value ? 'on' : 'off';
      logEvent(`flaky origin: ${input.closest('label')?.firstChild?.textContent?.trim() ?? name} → ${label}`);
    });
  }
}
