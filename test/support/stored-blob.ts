// Reads a blob straight from distribution's storage folder, the way Docker Hub's CDN serves
// object storage: the Hub stand-in's CDN uses it in the benchmark so that relaying every byte
// through a second HTTP hop does not eat the CPU the mirrors under test need.
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';

export type StoredBlobBody = ReadStream & { statusCode: number; headers: IncomingHttpHeaders };

/**
 * The blob's bytes as a response-shaped stream, from `bytes=N-` on when asked (what a mirror's
 * resume sends); undefined when the blob is not stored or the range is any other form, so the
 * caller asks distribution instead.
 */
export async function openStoredBlob(rootDir: string, digest: string, range: string | undefined): Promise<StoredBlobBody | undefined> {
  const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
  if (hex === undefined) return undefined;
  const start = range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? Number.NaN);
  const path = join(rootDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const size = await stat(path).then((info) => info.size, () => undefined);
  if (size === undefined || !Number.isSafeInteger(start) || start >= size) return undefined;
  const headers: IncomingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'content-length': String(size - start),
    'accept-ranges': 'bytes',
    'docker-content-digest': digest,
    etag: `"${digest}"`,
  };
  if (range !== undefined) headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
  // 1 MiB reads: a CDN's object store hands out large blocks, and each read is one relay write.
  const body = createReadStream(path, { start, highWaterMark: 1024 * 1024 });
  return Object.assign(body, { statusCode: range === undefined ? 200 : 206, headers });
}
