import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Streams a file and returns the base64url SHA-256 of each `chunkSize` piece, never holding
 * more than one chunk in memory (a 2 GiB mix is hashed in constant space).
 */
export async function hashFileChunks(path: string, chunkSize: number): Promise<{ size: number; chunks: string[] }> {
  const chunks: string[] = [];
  let hash = createHash('sha256');
  let inChunk = 0;
  let size = 0;
  for await (const piece of createReadStream(path, { highWaterMark: Math.min(chunkSize, 1024 * 1024) }) as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(piece.length - offset, chunkSize - inChunk);
      hash.update(piece.subarray(offset, offset + take));
      offset += take;
      inChunk += take;
      size += take;
      if (inChunk === chunkSize) {
        chunks.push(hash.digest('base64url'));
        hash = createHash('sha256');
        inChunk = 0;
      }
    }
  }
  if (inChunk > 0) chunks.push(hash.digest('base64url'));
  return { size, chunks };
}
