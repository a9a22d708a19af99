// Pushing blobs and manifests to a registry with the plain HTTP API (monolithic, chunked, streamed).
import { createHash, type Hash } from 'node:crypto';
import { request } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256 } from './image-types.js';

async function failure(response: Response, what: string): Promise<Error> {
  const body = await response.text().catch(() => '');
  return new Error(`${what} failed with HTTP ${response.status}: ${body.slice(0, 500)}`);
}

async function startUpload(registryUrl: string, repository: string): Promise<URL> {
  const response = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (response.status !== 202) throw await failure(response, `Starting an upload to ${repository}`);
  await response.arrayBuffer();
  const location = response.headers.get('location');
  if (location === null) throw new Error('The registry started an upload without a Location header.');
  return new URL(location, registryUrl);
}

async function finishUpload(location: URL, digest: string, body: Buffer | undefined, repository: string): Promise<void> {
  location.searchParams.set('digest', digest);
  const response = await fetch(location, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (response.status !== 201) throw await failure(response, `Finishing the upload of ${digest} to ${repository}`);
  await response.arrayBuffer();
}

/** Pushes a small blob in one monolithic PUT. */
export async function pushBlob(registryUrl: string, repository: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const location = await startUpload(registryUrl, repository);
  await finishUpload(location, digest, data, repository);
  return { digest, size: data.length };
}

/** Streams a body into an upload session with one PATCH (chunked transfer), so nothing is buffered. */
function patchStream(location: URL, body: Readable): Promise<URL> {
  return new Promise((resolve, reject) => {
    const req = request(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
    });
    req.on('error', reject);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const next = response.headers.location;
        if (response.statusCode !== 202 || next === undefined) {
          reject(new Error(`Streaming a blob failed with HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
        } else {
          resolve(new URL(next, location));
        }
      });
    });
    pipeline(body, req).catch(reject);
  });
}

/** Pushes a blob from a stream; the digest is computed while the bytes flow. */
export async function pushBlobStream(
  registryUrl: string,
  repository: string,
  source: AsyncIterable<Uint8Array> | Readable,
): Promise<{ digest: string; size: number }> {
  const hasher = new HashingStream();
  const location = await startUpload(registryUrl, repository);
  const body = Readable.from(source).pipe(hasher);
  const next = await patchStream(location, body);
  const digest = hasher.digest();
  await finishUpload(next, digest, undefined, repository);
  return { digest, size: hasher.bytes };
}

/** PUTs a manifest and checks that the registry computed the same digest we did. */
export async function pushManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const digest = sha256(bytes);
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  if (response.status !== 201) throw await failure(response, `Pushing the manifest ${repository}:${reference}`);
  await response.arrayBuffer();
  const stored = response.headers.get('docker-content-digest');
  if (stored !== digest) throw new Error(`The registry stored ${repository}:${reference} as ${stored}, expected ${digest}.`);
  return digest;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
