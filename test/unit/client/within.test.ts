import { describe, expect, it } from 'vitest';
import { within } from '../../../src/client/within.js';

const timeout = () => new Error('too late');

describe('within', () => {
  it('settles as the work does while the signal has not aborted', async () => {
    const controller = new AbortController();
    await expect(within(controller.signal, Promise.resolve(7), timeout)).resolves.toBe(7);
    await expect(within(controller.signal, Promise.reject(new Error('failed')), timeout)).rejects.toThrow('failed');
  });

  it('rejects with the timeout error when the signal aborts first, or had aborted', async () => {
    const controller = new AbortController();
    const pending = within(controller.signal, new Promise(() => {}), timeout);
    controller.abort();
    await expect(pending).rejects.toThrow('too late');
    await expect(within(controller.signal, Promise.resolve(1), timeout)).rejects.toThrow('too late');
  });
});
