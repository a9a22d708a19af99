// A bare TCP server for upstream tests that answers byte for byte what each test scripts, for
// every request on a connection, however many: what a real server would send, and what a
// broken or hostile one would, which no HTTP library on the server side lets a test say.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface KeepAliveServer {
  url: URL;
  /** Per request: which connection (numbered from 0) it came on, and its head. */
  requests: { connection: number; head: string }[];
  sockets: Socket[];
  closedConnections: () => number;
}

/** Answers each request head on a connection, however many, by calling `answer`. */
export async function keepAliveServer(t: TestContext, answer: (socket: Socket, index: number) => void): Promise<KeepAliveServer> {
  const requests: KeepAliveServer['requests'] = [];
  const sockets: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    const connection = sockets.push(socket) - 1;
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/blobs/sha256:ab`), requests, sockets, closedConnections: () => closed };
}

