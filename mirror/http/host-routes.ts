// Hands requests under a host-provided prefix (the app's and the CLI's `/setup` scripts) to the
// host, with the request body read up to a limit. The engine knows nothing of what they answer;
// it only keeps the body bounded and turns the host's reply into a Reply.
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { HostRouteEvent, HostRoutes } from '../public-types.js';
import { displayAddress } from './client-filter.js';
import type { Reply } from './reply.js';

/** Whether the request target names the host routes' prefix or a path below it. */
export function isHostRoute(routes: HostRoutes | undefined, rawUrl: string): routes is HostRoutes {
  if (!routes) return false;
  const path = pathOf(rawUrl);
  return path === routes.prefix || path.startsWith(`${routes.prefix}/`);
}

function pathOf(rawUrl: string): string {
  const queryStart = rawUrl.indexOf('?');
  return queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
}

export async function answerHostRoute(routes: HostRoutes, request: IncomingMessage, allowed: boolean, announce: (event: HostRouteEvent) => void): Promise<Reply> {
  const rawUrl = request.url ?? '/';
  const body = await readBounded(request, routes.maxBodyBytes);
  if (body === null) return textReply(413, `The request body is larger than ${routes.maxBodyBytes} bytes.\n`);
  const queryStart = rawUrl.indexOf('?');
  const host = request.headers.host;
  const client = displayAddress(request.socket.remoteAddress);
  const reply = await routes.handle({
    method: request.method ?? 'GET',
    path: pathOf(rawUrl),
    query: queryStart === -1 ? '' : rawUrl.slice(queryStart + 1),
    hostHeader: typeof host === 'string' ? host : undefined,
    local: { address: request.socket.localAddress ?? '', port: request.socket.localPort ?? 0 },
    client,
    allowed,
    body,
  });
  if (reply.announce) announce({ type: 'host-route', id: randomUUID(), time: new Date().toISOString(), client, allowed, ...reply.announce });
  const bytes = Buffer.from(reply.body, 'utf8');
  return {
    status: reply.status,
    headers: { ...reply.headers, 'content-type': reply.contentType, 'content-length': bytes.length, 'cache-control': 'no-store' },
    body: bytes,
    cache: 'none',
  };
}

function textReply(status: number, text: string): Reply {
  const body = Buffer.from(text);
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, connection: 'close' }, body, cache: 'none' };
}

/** The body, or null once it passes the limit (the rest is not read: the connection closes). */
async function readBounded(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
