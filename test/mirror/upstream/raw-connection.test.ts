// A raw connection's reads, seen by the exchange that uses it: bytes that trickle in are handed
// over once the event loop has done its pending reads, and an exchange that says "no more" there
// gets nothing until it resumes the socket.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { RawConnection, type ConnectionUser } from '../../../mirror/upstream/raw-connection.js';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('an exchange that refuses trickled bytes gets no more until it resumes the socket', async (t) => {
  const sockets: Socket[] = [];
  // A kilobyte every 20 ms: every read is short, so none fills a slab and all are deferred.
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    const timer = setInterval(() => socket.write(Buffer.alloc(1024, 1)), 20);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const connection = RawConnection.dial(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
  t.after(() => connection.socket.destroy());
  const handed: number[] = [];
  let wantMore = false;
  const user: ConnectionUser = {
    onBytes: (data) => {
      handed.push(data.length);
      return wantMore;
    },
    onEnd: () => {},
    onError: () => {},
    onTimeout: () => {},
    onClose: () => {},
  };
  connection.user = user;
  await settle(400);
  assert.equal(handed.length, 1, `bytes kept coming after the exchange said no: ${handed.length} hand-overs`);
  wantMore = true;
  connection.socket.resume();
  await settle(400);
  assert.ok(handed.length > 3, `reading did not resume: ${handed.length} hand-overs`);
});
