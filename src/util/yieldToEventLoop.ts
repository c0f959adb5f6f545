/**
 * Resolves in a new task that runs after the tasks already queued: messages (a `getTrack()`, a
 * service-worker read, a comlink call) and timers that are due. A `MessageChannel` message lets
 * queued messages in; from its handler a `setTimeout(0)` lets due timers in (scheduled from a
 * message task, it is not clamped to 4 ms as nested timers are). Not `scheduler.yield()`: its
 * continuation runs *before* other queued tasks (Chromium), so a worker that yields with it
 * answers no message and fires no timer until the whole job ends. Falls back to `setTimeout`.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== 'function') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      setTimeout(resolve, 0);
    };
    channel.port2.postMessage(null);
  });
}
