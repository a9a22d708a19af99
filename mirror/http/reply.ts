// Writing answers: a buffer or a stream with its headers, or an OCI error. Streams go through
// pipeline(), so a client that leaves destroys its reader (never the shared download), and an
// error after the headers were sent cuts the connection instead of finishing a short body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors.js';
import type { CacheResult } from '../public-types.js';

export interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body?: Buffer | Readable;
  cache: CacheResult;
  upstreamMs?: number;
  /** Runs when the answer is done, sent or not (releases pins). */
  cleanup?: () => void;
}

export function jsonReply(status: number, value: unknown, cache: CacheResult = 'none'): Reply {
  const body = Buffer.from(JSON.stringify(value));
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }, body, cache };
}

export function errorReply(error: RegistryError): Reply {
  const reply = jsonReply(error.status, error.toJSON());
  Object.assign(reply.headers, error.headers);
  return reply;
}

/** Sends the reply; resolves with the number of body bytes written. Never rejects. */
export async function sendReply(request: IncomingMessage, response: ServerResponse, reply: Reply): Promise<number> {
  let sent = 0;
  try {
    response.writeHead(reply.status, { 'docker-distribution-api-version': 'registry/2.0', ...reply.headers });
    const body = reply.body;
    if (request.method === 'HEAD' || body === undefined) {
      if (body && !Buffer.isBuffer(body)) body.destroy();
      response.end();
      return 0;
    }
    if (Buffer.isBuffer(body)) {
      response.end(body);
      return body.length;
    }
    body.on('data', (chunk: Buffer) => (sent += chunk.length));
    await pipeline(body, response);
    return sent;
  } catch {
    // The client left or the source failed mid-body; pipeline already destroyed both ends.
    if (!response.destroyed) response.destroy();
    return sent;
  } finally {
    reply.cleanup?.();
  }
}
