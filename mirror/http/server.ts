// The HTTP front: client filtering, routing, timeouts against slow clients, and one request
// event per answered request. Whatever goes wrong inside becomes an OCI error answer, never a
// stack trace on the wire.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AccessPolicy } from '../access-policy.js';
import { RegistryError } from '../errors.js';
import type { RequestEvent, RequestKind } from '../public-types.js';
import { displayAddress, type ClientFilter } from './client-filter.js';
import type { RegistryHandlers } from './registry-handlers.js';
import { errorReply, sendReply, type Reply } from './reply.js';
import { parseRequest, type Route } from './route.js';

export interface RegistryServerOptions {
  handlers: RegistryHandlers;
  filter: () => ClientFilter;
  access: AccessPolicy;
  /** The registry this mirror serves for containerd's `ns` parameter, e.g. `docker.io`. */
  namespace: string;
  metrics: () => string;
  health: () => Promise<{ ok: boolean; body: unknown }>;
  onRequest: (event: RequestEvent) => void;
  onInternalError: (error: unknown, event: RequestEvent) => void;
  timeouts?: { headersMs?: number; requestMs?: number };
}

export function createRegistryServer(options: RegistryServerOptions): Server {
  const server = createServer(
    {
      // Slow or stalled clients (slowloris) must not hold sockets for long.
      headersTimeout: options.timeouts?.headersMs ?? 15_000,
      requestTimeout: options.timeouts?.requestMs ?? 30_000,
      keepAliveTimeout: 10_000,
      maxHeaderSize: 16 * 1024,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => void handle(options, request, response),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code));
  });
  return server;
}

/** Requests Node's parser refuses never reach a handler; they still get an OCI error body. */
function clientErrorResponse(parserCode: string | undefined): string {
  const [status, error] =
    parserCode === 'HPE_HEADER_OVERFLOW'
      ? [431, new RegistryError('UNSUPPORTED', 'request headers too large', { status: 431 })]
      : parserCode === 'HPE_INVALID_METHOD'
        ? [405, new RegistryError('UNSUPPORTED', 'unknown request method')]
        : parserCode === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, new RegistryError('UNSUPPORTED', 'the request took too long to arrive', { status: 408 })]
          : [400, new RegistryError('NAME_INVALID', 'malformed request: invalid characters in the request line or headers')];
  const body = JSON.stringify(error.toJSON());
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

async function handle(options: RegistryServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = Date.now();
  const method = request.method ?? 'GET';
  const event: RequestEvent = {
    type: 'request',
    id: randomUUID(),
    time: new Date(started).toISOString(),
    client: displayAddress(request.socket.remoteAddress),
    method,
    kind: 'other',
    status: 0,
    bytes: 0,
    durationMs: 0,
    cache: 'none',
  };
  let reply: Reply;
  try {
    reply = await answer(options, request, method, event);
  } catch (error) {
    if (error instanceof RegistryError) {
      reply = errorReply(error);
      event.errorCode = error.code;
    } else {
      options.onInternalError(error, event);
      reply = errorReply(new RegistryError('UNAVAILABLE', 'internal error in the mirror; see its log', { status: 500 }));
      event.errorCode = 'INTERNAL';
    }
  }
  const namespace = new URL(request.url ?? '/', 'http://mirror').searchParams.get('ns');
  // Echoed as the spec asks, but only when it looks like a registry host: it goes into a header.
  if (namespace && /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/.test(namespace)) reply.headers['oci-namespace'] = namespace;
  event.status = reply.status;
  event.cache = reply.cache;
  if (reply.upstreamMs) event.upstreamMs = reply.upstreamMs;
  event.bytes = await sendReply(request, response, reply);
  event.durationMs = Date.now() - started;
  options.onRequest(event);
}

async function answer(options: RegistryServerOptions, request: IncomingMessage, method: string, event: RequestEvent): Promise<Reply> {
  if (!options.filter().allows(request.socket.remoteAddress)) {
    throw new RegistryError('DENIED', `this mirror does not serve clients at ${event.client}; add its network to the mirror's allowlist`);
  }
  const { route, query } = parseRequest(method, request.url ?? '/');
  describe(event, route);
  if (route.kind !== 'health') options.access.authenticate(request.headers.authorization);
  if ('repository' in route) await options.access.assertMayPull(route.repository);
  const namespace = query.get('ns');
  if (namespace && namespace !== options.namespace) {
    // containerd moves on to its next host on a 404, which is what a request for another registry needs.
    throw new RegistryError('NAME_UNKNOWN', `this mirror serves ${options.namespace}, not ${namespace.slice(0, 100)}`);
  }
  const readMethod = method === 'HEAD' ? 'HEAD' : 'GET';
  const { handlers } = options;
  switch (route.kind) {
    case 'base':
      return handlers.base();
    case 'manifest':
      return handlers.manifest(readMethod, route);
    case 'blob':
      return handlers.blob(readMethod, route, request.headers);
    case 'tags':
      return handlers.tags(route, query);
    case 'catalog':
      return handlers.catalog(query);
    case 'metrics':
      return { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' }, body: Buffer.from(options.metrics()), cache: 'none' };
    case 'health': {
      const health = await options.health();
      const body = Buffer.from(JSON.stringify(health.body));
      return { status: health.ok ? 200 : 503, headers: { 'content-type': 'application/json' }, body, cache: 'none' };
    }
  }
}

function describe(event: RequestEvent, route: Route): void {
  const kinds: Record<Route['kind'], RequestKind> = {
    base: 'base',
    catalog: 'catalog',
    metrics: 'metrics',
    health: 'health',
    manifest: 'manifest',
    blob: 'blob',
    tags: 'tags',
  };
  event.kind = kinds[route.kind];
  if ('repository' in route) event.repository = route.repository;
  if (route.kind === 'manifest') event.reference = route.reference.value;
  if (route.kind === 'blob') event.reference = route.digest;
}
