import { type TransferHandler, transferHandlers } from 'comlink';

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  details?: unknown;
}

/**
 * comlink's own `throw` handler keeps `name`, `message` and `stack` but drops everything else.
 * reprise errors carry `details` (which track, chunk, option) too; this handler keeps them. The
 * page gets an Error whose `name` is the stable code (comlink README: `instanceof` does not
 * survive the boundary, `name` does). Installed on both sides.
 */
export function installErrorTransfer(): void {
  const original = transferHandlers.get('throw') as TransferHandler<unknown, unknown>;
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize(thrown: unknown) {
      const value = (thrown as { value: unknown }).value;
      if (value instanceof Error) {
        const details = (value as { details?: unknown }).details;
        const serialized: SerializedError = { name: value.name, message: value.message, stack: value.stack };
        if (details !== undefined) serialized.details = JSON.parse(JSON.stringify(details));
        return [{ isError: true, value: serialized }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize(serialized: unknown) {
      const s = serialized as { isError: boolean; value: SerializedError };
      if (!s.isError) throw s.value;
      throw Object.assign(new Error(s.value.message), { name: s.value.name, stack: s.value.stack, details: s.value.details ?? {}, code: s.value.name });
    },
  });
}
