// A plain HTTP forwarder that records every request it passes on. Tests put it between a client
// and a registry to see what the client really asked for (e.g. containerd's `?ns=docker.io`), or
// bind it on a LAN host's hostAddress to expose a loopback-only registry to a network namespace.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from '../ports.js';

export interface RecordedRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Who connected: on a LAN host's hostAddress this is the namespace's lanAddress. */
  remoteAddress: string;
  status?: number;
}

export interface RecordingProxy {
  /** `http://<host>:<port>`. */
  url: string;
  host: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** Where to forward, e.g. a registry's `http://127.0.0.1:P`. */
  target: string;
  /** Address to listen on; 127.0.0.1 by default. Port is always kernel-chosen. */
  host?: string;
  /**
   * Ask for HTTP Basic like a mirror with client authentication: requests without these
   * credentials get 401 + `WWW-Authenticate: Basic` and are not forwarded.
   */
  basicAuth?: { username: string; password: string };
}

export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const target = new URL(options.target);
  const requests: RecordedRequest[] = [];
  const expectedAuth =
    options.basicAuth === undefined ? undefined : `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  const server = createServer((incoming, outgoing) => {
    const record: RecordedRequest = { method: incoming.method ?? 'GET', url: incoming.url ?? '/', headers: incoming.headers, remoteAddress: incoming.socket.remoteAddress ?? '' };
    requests.push(record);
    if (expectedAuth !== undefined && incoming.headers.authorization !== expectedAuth) {
      record.status = 401;
      const body = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      outgoing.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="test-mirror"', 'docker-distribution-api-version': 'registry/2.0' });
      outgoing.end(body);
      incoming.resume();
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (response) => {
        record.status = response.statusCode;
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
        response.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
    incoming.pipe(upstream);
  });
  const host = options.host ?? '127.0.0.1';
  // Kernel-chosen port, never one that Node's fetch refuses.
  const port = await listenOnLoopback(server, host);
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    requests,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
