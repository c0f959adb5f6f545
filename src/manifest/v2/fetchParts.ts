import { RepriseError } from '../../errors/RepriseError.js';
import { checkPinnedPart } from './decodeParts.js';
import { readLimitedBody } from './readLimitedBody.js';
import { type DocumentFetchOptions, requestDocument } from './requestDocument.js';
import type { ResolvedPart } from './resolveRootUrls.js';

/** The caller's store of parts, by SHA-256 (verified when stored). */
export type HeldParts = (sha256: string) => Promise<Uint8Array<ArrayBuffer> | undefined> | Uint8Array<ArrayBuffer> | undefined;

export interface PartsFetchOptions extends DocumentFetchOptions {
  heldParts?: HeldParts;
  /** Parts fetched at once. Default 4. */
  concurrency?: number;
}

export interface PartBodies {
  /** Every part of the root by SHA-256, held or fetched. */
  bodies: Map<string, Uint8Array<ArrayBuffer>>;
  /** The SHA-256 of the parts fetched now: what the caller stores once the root is accepted. */
  fetched: Set<string>;
  /** Bytes fetched (decompressed). */
  bytes: number;
}

/**
 * Gets the bodies of a root's parts: from `heldParts` when the device has that hash, else over
 * the network, each read under the length the root pins (the stream is cut past it) and checked
 * against its SHA-256 before it is returned. A part that cannot be fetched is `network` (the
 * stored manifest stays in force); one that does not match refuses the root (`manifest-invalid`).
 */
export async function fetchParts(parts: readonly ResolvedPart[], opts: PartsFetchOptions): Promise<PartBodies> {
  const bodies = new Map<string, Uint8Array<ArrayBuffer>>();
  const fetched = new Set<string>();
  let bytes = 0;
  const missing = new Map<string, ResolvedPart>();
  for (const part of parts) {
    if (bodies.has(part.sha256) || missing.has(part.sha256)) continue;
    const held = await opts.heldParts?.(part.sha256);
    if (held) bodies.set(part.sha256, held);
    else missing.set(part.sha256, part);
  }
  const queue = [...missing.values()];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const part = queue[next++]!;
      const what = `manifest part ${part.index}`;
      let response: Response;
      try {
        response = await requestDocument({ url: part.href, kind: 'manifest', what, cache: 'default' }, opts);
      } catch (error) {
        // Security rule 4: a part that cannot be fetched leaves the stored manifest in force.
        if (error instanceof RepriseError && error.code === 'not-found') throw new RepriseError('network', error.message, { ...error.details, path: `parts.${part.index}` }, { cause: error });
        throw error;
      }
      const body = await readLimitedBody(
        response,
        {
          maxBytes: part.bytes,
          tooLarge: (read) =>
            new RepriseError('manifest-invalid', `${what} at ${part.href} is longer than the ${part.bytes} bytes its root pins (refused after ${read} bytes)`, { path: `parts.${part.index}`, limit: 'bytes' }),
        },
        what,
      );
      await checkPinnedPart(part, body);
      bodies.set(part.sha256, body);
      fetched.add(part.sha256);
      bytes += body.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, queue.length) }, worker));
  return { bodies, fetched, bytes };
}
