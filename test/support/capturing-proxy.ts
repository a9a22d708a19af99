// A forwarder that keeps a copy of every answer (status, headers, body) it passes back, so a
// test can inspect everything a server told its clients, real clients like skopeo included.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from './ports.js';

export interface CapturedExchange {
  method: string;
  url: string;
  requestHeaders: IncomingHttpHeaders;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface CapturingProxy {
  url: string;
  /** host:port, for skopeo-style references. */
  address: string;
  exchanges: CapturedExchange[];
  close(): Promise<void>;
}

export async function startCapturingProxy(target: string): Promise<CapturingProxy> {
  const to = new URL(target);
  const exchanges: CapturedExchange[] = [];
  const server = createServer((incoming, outgoing) => {
    const forward = request(
      { host: to.hostname, port: to.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: to.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          outgoing.write(chunk);
        });
        answer.on('end', () => {
          exchanges.push({
            method: incoming.method ?? 'GET',
            url: incoming.url ?? '/',
            requestHeaders: incoming.headers,
            status: answer.statusCode ?? 0,
            headers: answer.headers,
            body: Buffer.concat(chunks),
          });
          outgoing.end();
        });
        answer.on('error', () => outgoing.destroy());
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
