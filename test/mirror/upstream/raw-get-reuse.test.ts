// The raw reader's connection pool, through UpstreamHttp, against a bare TCP server that answers
// every request on a connection as each test scripts: which answers leave a connection fit for
// the next request, and what happens to one that the server closed, or spoke on, while it idled.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { refusedAddressCode, UpstreamHttp } from '../../../mirror/upstream/http-request.js';
import { readFlowing } from '../../support/flowing-body.js';
import { keepAliveServer } from '../../support/keep-alive-server.js';

const timeouts = { connectMs: 2_000, idleMs: 2_000 };

async function blob(http: UpstreamHttp, url: URL, limits = {}): Promise<Buffer> {
  return readFlowing((await http.request(url, 'GET', {}, { largeBody: true, ...limits })).body);
}

function client(t: TestContext): UpstreamHttp {
  const http = new UpstreamHttp(timeouts);
  t.after(() => http.close());
  return http;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

test('blob GETs whose answers end at their Content-Length share one connection, and close() closes it', async (t) => {
  const bodies = [randomBytes(3 * 1024 * 1024), Buffer.alloc(0), randomBytes(1000)];
  const server = await keepAliveServer(t, (socket, index) => {
    const body = bodies[index % bodies.length]!;
    socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 ${body.length ? 200 : 307} OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  });
  const http = client(t);
  for (const body of bodies) assert.deepEqual(await blob(http, server.url), body);
  assert.deepEqual(server.requests.map((request) => request.connection), [0, 0, 0]);
  assert.doesNotMatch(server.requests[0]!.head, /connection:/i, 'HTTP/1.1 keeps the connection unless told otherwise');
  http.close();
  await settle();
  assert.equal(server.closedConnections(), 1);
});

test('a connection is not kept after Connection: close, HTTP/1.0, a body framed by the close, bytes past the body, or a body its reader dropped', async (t) => {
  const answers = [
    'HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno',
  ];
  const server = await keepAliveServer(t, (socket, index) => {
    if (index < answers.length) socket.write(answers[index]!);
    else if (index === answers.length) socket.end('HTTP/1.1 200 OK\r\n\r\nok');
    else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'x'.repeat(1000)}`);
  });
  const http = client(t);
  for (let i = 0; i <= answers.length; i++) assert.equal((await blob(http, server.url)).toString(), 'ok');
  const dropped = await http.request(server.url, 'GET', {}, { largeBody: true });
  dropped.body.destroy();
  await settle();
  assert.deepEqual(server.requests.map((request) => request.connection), [0, 1, 2, 3, 4]);
  assert.equal(server.closedConnections(), 5, 'none of them was left open');
});

test('a kept connection the server closed, or answered nothing on, is replaced once; one that spoke while idle is closed', async (t) => {
  const server = await keepAliveServer(t, (socket, index) => {
    // The second request, the first on a kept connection, finds the server closing it.
    if (index === 1) return void socket.destroy();
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    // After the fourth answer the server sends what nobody asked for.
    if (index === 3) setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n\r\n'), 20);
  });
  const http = client(t);
  assert.equal((await blob(http, server.url)).toString(), 'ok');
  assert.equal((await blob(http, server.url)).toString(), 'ok');
  assert.deepEqual(server.requests.map((request) => request.connection), [0, 0, 1]);
  server.sockets[1]!.end();
  await settle();
  assert.equal((await blob(http, server.url)).toString(), 'ok');
  await settle();
  assert.equal((await blob(http, server.url)).toString(), 'ok');
  assert.deepEqual(server.requests.map((request) => request.connection), [0, 0, 1, 2, 3]);
});

test('a kept connection is checked against the next request\'s address rule, and a failed request is not retried', async (t) => {
  const server = await keepAliveServer(t, (socket, index) => {
    if (index === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
  });
  // By name, so that a refused address is the lookup's to find and not a literal refused at once.
  const byName = new URL(server.url.href.replace('127.0.0.1', 'localhost'));
  const allowed = { refuseAddress: () => null };
  const http = client(t);
  assert.equal((await blob(http, byName, allowed)).toString(), 'ok');
  await assert.rejects(blob(http, byName, { refuseAddress: (address: string) => `${address} is refused` }), { code: refusedAddressCode });
  assert.equal(server.requests.length, 1, 'the refused request was not sent');
  const cut = blob(http, byName, allowed);
  await settle();
  server.sockets.at(-1)!.destroy();
  await assert.rejects(cut, { code: 'ECONNRESET' });
  assert.equal(server.requests.length, 2, 'a connection that had answered is not asked again');
});
