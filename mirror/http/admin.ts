// The mirror's one admin request, POST /_dockmirror/prefetch, for `dockmirror prefetch --mirror
// URL`: the running mirror fetches into its own store, so no second process ever opens a store
// another one serves from. Only this machine may ask (loopback peers), and when the mirror asks
// its clients to log in, the admin request must too. The answer streams one JSON line per
// progress step, then the results.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from '../errors.js';
import type { PrefetchProgress, PrefetchResult } from '../keep/prefetch.js';
import type { LoginThrottle } from './login-throttle.js';

export const adminPrefix = '/_dockmirror/';
const maxBodyBytes = 256 * 1024;
const maxImages = 1000;

export interface AdminOptions {
  prefetch: (images: string[], onProgress: (progress: PrefetchProgress) => void) => Promise<PrefetchResult[]>;
  authenticate: (authorization: string | undefined) => void;
  logins: LoginThrottle;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export async function handleAdmin(options: AdminOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (!isLoopback(request.socket.remoteAddress)) throw new RegistryError('DENIED', 'admin requests are accepted from this machine only');
    const { authorization } = request.headers;
    options.logins.check(request.socket.remoteAddress, authorization !== undefined, () => options.authenticate(authorization));
    if (request.url !== `${adminPrefix}prefetch`) throw new RegistryError('NOT_FOUND', 'the only admin request is POST /_dockmirror/prefetch');
    if (request.method !== 'POST') throw new RegistryError('UNSUPPORTED', 'prefetch is a POST with {"images": ["name:tag", …]}');
    const images = parseImages(await readBody(request));
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const results = await options.prefetch(images, (progress) => response.write(`${JSON.stringify({ progress })}\n`));
    response.end(`${JSON.stringify({ results })}\n`);
  } catch (error) {
    const failure = error instanceof RegistryError ? error : new RegistryError('INTERNAL');
    if (response.headersSent) {
      response.end(`${JSON.stringify({ error: failure.message })}\n`);
      return;
    }
    const body = JSON.stringify(failure.toJSON());
    response.writeHead(failure.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...failure.headers });
    response.end(body);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new RegistryError('UNSUPPORTED', `the prefetch request is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseImages(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryError('UNSUPPORTED', 'the prefetch request is not JSON: send {"images": ["name:tag", …]}');
  }
  const images = (parsed as { images?: unknown } | null)?.images;
  if (!Array.isArray(images) || images.length === 0 || images.length > maxImages || !images.every((i) => typeof i === 'string' && i.length <= 512)) {
    throw new RegistryError('UNSUPPORTED', `send {"images": [...]} with 1 to ${maxImages} image names`);
  }
  return images as string[];
}
