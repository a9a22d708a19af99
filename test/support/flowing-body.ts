// Reads a body to its end with 'data' listeners, as the blob download does. readBody in
// services.ts reads through an async iterator, in paused mode; upstream tests that are about the
// blob download's own reading use this one.
import type { Readable } from 'node:stream';

export function readFlowing(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => resolve(Buffer.concat(chunks)));
    body.once('error', reject);
  });
}
