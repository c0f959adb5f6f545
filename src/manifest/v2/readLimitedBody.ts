import { RepriseError } from '../../errors/RepriseError.js';

/** A size bound on a response body, in decompressed bytes. */
export interface BodyLimit {
  maxBytes: number;
  /** The error for a body over `maxBytes`, given how many bytes were read when it showed. */
  tooLarge(bytesRead: number): RepriseError;
  /**
   * Looks at the first bytes (up to 4 KiB, as they arrive) and may return a tighter limit, e.g.
   * once the JWS header says which format follows. Undefined: keep looking.
   */
  refine?(head: Uint8Array): BodyLimit | undefined;
}

const HEAD_BYTES = 4096;

/**
 * Reads a body chunk by chunk, counting the bytes `fetch` hands over — decompressed, whatever
 * the Content-Encoding — and cancels the stream as soon as they pass the limit, before the rest
 * is read. A Content-Length is compared up front only without a Content-Encoding (a gzip length
 * says nothing of the decompressed size). Read failures are `network`.
 */
export async function readLimitedBody(response: Response, limit: BodyLimit, what: string): Promise<Uint8Array<ArrayBuffer>> {
  let current = limit;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
  if (!encoded && Number.isFinite(declared) && declared > current.maxBytes) {
    void response.body?.cancel().catch(() => {});
    throw current.tooLarge(0);
  }
  const pieces: Uint8Array[] = [];
  let total = 0;
  let head: Uint8Array | undefined = new Uint8Array(0);
  const reader = response.body?.getReader();
  try {
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      pieces.push(value);
      if (head && current.refine) {
        const grown: Uint8Array = new Uint8Array(Math.min(HEAD_BYTES, head.byteLength + value.byteLength));
        grown.set(head.subarray(0, grown.byteLength));
        if (grown.byteLength > head.byteLength) grown.set(value.subarray(0, grown.byteLength - head.byteLength), head.byteLength);
        const refined = current.refine(grown);
        if (refined) current = refined;
        head = refined || grown.byteLength >= HEAD_BYTES ? undefined : grown;
      }
      if (total > current.maxBytes) {
        void reader.cancel().catch(() => {});
        throw current.tooLarge(total);
      }
    }
  } catch (cause) {
    if (cause instanceof RepriseError) throw cause;
    throw new RepriseError('network', `${what} could not be read (${(cause as Error)?.message ?? cause})`, {}, { cause });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const p of pieces) (bytes.set(p, offset), (offset += p.byteLength));
  return bytes;
}
