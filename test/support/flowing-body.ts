// Reads a body to its end with 'data' listeners, as the blob download does. An async iterator
// (readBody in services.ts) reads in paused mode, and the upstream's minimum-progress rule judges
// only windows in which the body flowed, so a drip would never be caught through it.
import type { Readable } from 'node:stream';

export function readFlowing(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => resolve(Buffer.concat(chunks)));
    body.once('error', reject);
  });
}
