// A bare TCP (or TLS) server for upstream tests that answers byte for byte what each test
// scripts, for every request on a connection, however many: what a real server would send, and
// what a broken or hostile one would, which no HTTP library on the server side lets a test say.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { TlsIdentity } from './test-ca.js';

export interface KeepAliveServer {
  url: URL;
  /** Per request: which connection (numbered from 0) it came on, and its head. */
  requests: { connection: number; head: string }[];
  sockets: Socket[];
  /** Over TLS, the name each connection's handshake asked for (SNI). */
  servernames: (string | false | null)[];
  closedConnections: () => number;
}

/**
 * Answers each request head on a connection, however many, by calling `answer`. With `tls`, it
 * speaks https as `localhost`, the name test-ca.ts certificates are made for.
 */
export async function keepAliveServer(t: TestContext, answer: (socket: Socket, index: number) => void, tls?: TlsIdentity): Promise<KeepAliveServer> {
  const requests: KeepAliveServer['requests'] = [];
  const sockets: Socket[] = [];
  const servernames: KeepAliveServer['servernames'] = [];
  let closed = 0;
  const onConnection = (socket: Socket): void => {
    const connection = sockets.push(socket) - 1;
    if (tls) servernames.push((socket as TLSSocket).servername);
    socket.on('error', () => {});
    socket.on('close', () => closed++);
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        requests.push({ connection, head: pending.slice(0, end) });
        pending = pending.slice(end + 4);
        answer(socket, requests.length - 1);
      }
    });
  };
  const server: Server = tls ? createTlsServer(tls, onConnection).on('tlsClientError', () => {}) : createServer(onConnection);
  const host = tls ? 'localhost' : '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`${tls ? 'https' : 'http'}://${host}:${port}/v2/library/x/blobs/sha256:ab`), requests, sockets, servernames, closedConnections: () => closed };
}
