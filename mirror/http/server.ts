// The HTTP front: client filtering, routing, timeouts against slow clients, and one request
// event per answered request. Whatever goes wrong inside becomes an OCI error answer, never a
// stack trace on the wire.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AccessPolicy } from '../access-policy.js';
import type { BufferPool } from '../blobs/buffer-pool.js';
import { RegistryError } from '../errors.js';
import type { HostRouteEvent, HostRoutes, RequestEvent, RequestKind } from '../public-types.js';
import { displayAddress, type ClientFilter } from './client-filter.js';
import type { ConnectionLimits } from './connection-limits.js';
import { answerHostRoute, isHostRoute } from './host-routes.js';
import { LoginThrottle, LoginThrottled, loginThrottledCode } from './login-throttle.js';
import type { RegistryHandlers } from './registry-handlers.js';
import { errorReply, sendReply, type Reply, type SendCounter } from './reply.js';
import { parseRequest, targetQuery, type Route } from './route.js';
import { adminPrefix, handleAdmin, type AdminOptions } from './admin.js';

/** What answers for one registry: its API handlers and its private-repository rule. */
export interface RegistryEndpoint {
  handlers: RegistryHandlers;
  access: AccessPolicy;
}

export interface RegistryServerOptions {
  filter: () => ClientFilter;
  /** Mirror client authentication, the same for every registry. */
  access: Pick<AccessPolicy, 'authenticate'>;
  /** The endpoint of an enabled registry by name; throws NAME_UNKNOWN with a sentence for any other. */
  registries: (name: string) => RegistryEndpoint;
  /** The registry of requests that name none (no `ns`, no path prefix). */
  defaultRegistry: string;
  metrics: () => string;
  health: () => Promise<{ ok: boolean; body: unknown }>;
  onRequest: (event: RequestEvent) => void;
  /** An answer is about to be sent (a manifest's body with it): the counter, if returned, follows the body bytes sent. */
  onAnswering?: (event: RequestEvent, body: Buffer | undefined) => SendCounter | undefined;
  /** A bug surfaced while answering; `event` is absent when it escaped the answer itself. */
  onInternalError: (error: unknown, event: RequestEvent | undefined) => void;
  timeouts?: { headersMs?: number; requestMs?: number };
  limits?: ConnectionLimits;
  /** The engine's send buffers, shared by its streams only. */
  sendBuffers: BufferPool;
  /** Failed client logins per address (login-throttle.ts); one with the defaults when absent. */
  logins?: LoginThrottle;
  /** The host's own routes (setup scripts), answered before the allowlist; see HostRoutes. */
  hostRoutes?: HostRoutes;
  onHostEvent?: (event: HostRouteEvent) => void;
  /** Loopback-only admin requests under /_dockmirror/ (admin.ts); absent: none. */
  prefetch?: AdminOptions['prefetch'];
}

type ServeOptions = RegistryServerOptions & { logins: LoginThrottle };

export function createRegistryServer(serverOptions: RegistryServerOptions): Server {
  const options: ServeOptions = { ...serverOptions, logins: serverOptions.logins ?? new LoginThrottle() };
  const server = createServer(
    {
      // Slow or stalled clients (slowloris): must not hold sockets for long.
      headersTimeout: options.timeouts?.headersMs ?? 15_000,
      requestTimeout: options.timeouts?.requestMs ?? 30_000,
      keepAliveTimeout: 10_000,
      maxHeaderSize: 16 * 1024,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: 1_000,
      // Node answers a missing Host itself with an empty 400; answer() does it with an OCI body.
      requireHostHeader: false,
    },
    (request, response) => serve(options, request, response),
  );
  options.limits?.attach(server);
  // Expect values other than 100-continue: Node would answer 417 with no body.
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) =>
    serve(options, request, response, new RegistryError('EXPECTATION_UNSUPPORTED', `the expectation "${String(request.headers.expect).slice(0, 40)}" is not supported`)),
  );
  // Without a listener Node drops a CONNECT without a word; this is a registry, not a proxy.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorResponse(new RegistryError('UNSUPPORTED', 'this registry is not a proxy: CONNECT is not supported')));
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code));
  });
  return server;
}

/**
 * Answers one request and never rejects: whatever escapes the handler, the reply or the event
 * (a bug, not a client's fault) is logged with its stack, answered 500 with an OCI body when no
 * header was sent yet, and otherwise cuts only this connection. The server keeps serving.
 */
function serve(options: ServeOptions, request: IncomingMessage, response: ServerResponse, refusal?: RegistryError): void {
  handle(options, request, response, refusal).catch((error: unknown) => {
    try {
      options.onInternalError(error, undefined);
    } catch {
      // The logger itself failed; nothing more can be said about it.
    }
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    const body = JSON.stringify(internalError().toJSON());
    response.writeHead(internalError().status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}

function internalError(): RegistryError {
  return new RegistryError('INTERNAL');
}

/** Requests Node's parser refuses never reach a handler; they still get an OCI error body. */
function clientErrorResponse(parserCode: string | undefined): string {
  const error =
    parserCode === 'HPE_HEADER_OVERFLOW'
      ? new RegistryError('HEADERS_TOO_LARGE')
      : parserCode === 'HPE_INVALID_METHOD'
        ? new RegistryError('UNSUPPORTED', 'unknown request method')
        : parserCode === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new RegistryError('REQUEST_TIMEOUT')
          : new RegistryError('NAME_INVALID', 'malformed request: invalid characters in the request line or headers');
  return rawErrorResponse(error);
}

/** A whole HTTP response as text, for sockets no ServerResponse belongs to. */
function rawErrorResponse(error: RegistryError): string {
  const body = JSON.stringify(error.toJSON());
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

async function handle(options: ServeOptions, request: IncomingMessage, response: ServerResponse, refusal: RegistryError | undefined): Promise<void> {
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
  if (!refusal && options.prefetch && request.url?.startsWith(adminPrefix)) {
    return handleAdmin({ prefetch: options.prefetch, authenticate: (authorization) => options.access.authenticate(authorization), logins: options.logins }, request, response);
  }
  let reply: Reply;
  try {
    if (refusal) throw refusal;
    reply = await answer(options, request, method, event);
  } catch (error) {
    if (error instanceof RegistryError) {
      reply = errorReply(error);
      event.errorCode = error instanceof LoginThrottled ? loginThrottledCode : error.code;
    } else {
      options.onInternalError(error, event);
      const internal = internalError();
      reply = errorReply(internal);
      event.errorCode = internal.code;
    }
  }
  const namespace = targetQuery(request.url ?? '/').get('ns');
  // Echoed as the spec asks, but only when it looks like a registry host: it goes into a header.
  if (namespace && /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/.test(namespace)) reply.headers['oci-namespace'] = namespace;
  event.status = reply.status;
  event.cache = reply.cache;
  if (reply.upstreamMs) event.upstreamMs = reply.upstreamMs;
  const counter = options.onAnswering?.(event, Buffer.isBuffer(reply.body) ? reply.body : undefined);
  event.bytes = await sendReply(request, response, reply, options.sendBuffers, counter);
  event.durationMs = Date.now() - started;
  options.onRequest(event);
}

async function answer(options: ServeOptions, request: IncomingMessage, method: string, event: RequestEvent): Promise<Reply> {
  if (options.limits?.isExcess(request.socket)) {
    throw new RegistryError('TOOMANYREQUESTS', `too many connections from ${event.client}; at most ${options.limits.perClient} at a time`, {
      headers: { 'retry-after': '5', connection: 'close' },
    });
  }
  const allowed = options.filter().allows(request.socket.remoteAddress);
  if (isHostRoute(options.hostRoutes, request.url ?? '/')) return answerHostRoute(options.hostRoutes, request, allowed, (e) => options.onHostEvent?.(e));
  if (!allowed) {
    throw new RegistryError('DENIED', `this mirror does not serve clients at ${event.client}; add its network to the mirror's allowlist`);
  }
  if (request.httpVersion === '1.1' && hostHeaders(request) !== 1) {
    throw new RegistryError('NAME_INVALID', 'an HTTP/1.1 request needs exactly one Host header');
  }
  const { route, query } = parseRequest(method, request.url ?? '/');
  describe(event, route);
  if (route.kind !== 'health') {
    const { authorization } = request.headers;
    options.logins.check(request.socket.remoteAddress, authorization !== undefined, () => options.access.authenticate(authorization));
  }
  // A path prefix is explicit in the name the client pulls; `ns` is what containerd adds.
  const registryName = ('registry' in route ? route.registry : undefined) ?? query.get('ns') ?? options.defaultRegistry;
  if (route.kind === 'metrics') return { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' }, body: Buffer.from(options.metrics()), cache: 'none' };
  if (route.kind === 'health') {
    const health = await options.health();
    const body = Buffer.from(JSON.stringify(health.body));
    return { status: health.ok ? 200 : 503, headers: { 'content-type': 'application/json' }, body, cache: 'none' };
  }
  event.registry = registryName;
  // An unknown or disabled registry is a 404: containerd then moves on to its next host.
  const { handlers, access } = options.registries(registryName);
  if ('repository' in route) await access.assertMayPull(route.repository);
  const readMethod = method === 'HEAD' ? 'HEAD' : 'GET';
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
      // Not knowing (the upstream is out of reach) hides a repository rather than names it.
      return handlers.catalog(query, (repository) => access.assertMayPull(repository).then(() => true, () => false));
  }
}

function hostHeaders(request: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) if (request.rawHeaders[i]!.toLowerCase() === 'host') count++;
  return count;
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
