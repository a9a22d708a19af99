// The raw blob reader against a bare TCP server that answers byte for byte what each test
// scripts: the request it sends, the bodies it frames, and how it ends, stalls, drips or holds
// back when the upstream or the body's reader misbehaves.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { idleTimeoutCode, refusedAddressCode, slowBodyCode, UpstreamHttp } from '../../../mirror/upstream/http-request.js';
import { rawGet } from '../../../mirror/upstream/raw-get.js';
import { readFlowing } from '../../support/flowing-body.js';

const timeouts = { connectMs: 2_000, idleMs: 2_000 };

interface Scripted {
  url: URL;
  /** Every request head the server received, in order. */
  requests: string[];
  connections: number;
  closed: Promise<void>;
}

/**
 * A server that, per connection, reads one request head and hands the socket to `answer`. It
 * answers once per connection, so answers meant for node:http say Connection: close.
 */
async function scripted(t: TestContext, answer: (socket: Socket, index: number) => void): Promise<Scripted> {
  const requests: string[] = [];
  let connections = 0;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', markClosed);
    socket.on('error', () => {});
    let pending = '';
    const onData = (data: Buffer): void => {
      pending += data.toString('latin1');
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      requests.push(pending.slice(0, end));
      answer(socket, requests.length - 1);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/v2/blobs/sha256:ab?sig=1`), requests, get connections() { return connections; }, closed };
}

async function get(url: URL, limits = {}, headers: Record<string, string> = {}) {
  const result = await rawGet(url, headers, timeouts, limits);
  assert.equal(result.kind, 'response');
  return (result as Extract<typeof result, { kind: 'response' }>).response;
}

async function failure(body: Readable): Promise<Error & { code?: string }> {
  return readFlowing(body).then(
    () => assert.fail('the body ended without an error'),
    (error: Error & { code?: string }) => error,
  );
}

/** Well before the 2 s idle timeout, which would close a connection the reader forgot. */
function closedSoon(server: Scripted): Promise<void> {
  const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the connection was left open')), 1_000).unref());
  return Promise.race([server.closed, late]);
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

test('the request is one GET with Host and Connection: close; a header that would add lines is never sent', async (t) => {
  const server = await scripted(t, (socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
  const response = await get(server.url, {}, { range: 'bytes=5-', 'user-agent': 'dockmirror', Host: 'evil.example', connection: 'keep-alive' });
  assert.equal(response.statusCode, 204);
  assert.deepEqual(await readFlowing(response.body), Buffer.alloc(0));
  assert.deepEqual(server.requests[0]!.split('\r\n'), [
    'GET /v2/blobs/sha256:ab?sig=1 HTTP/1.1', `Host: ${server.url.host}`, 'Connection: close', 'range: bytes=5-', 'user-agent: dockmirror',
  ]);
  for (const value of ['a\r\nX-Evil: 1', 'a\nb', 'a\u0000b']) {
    await assert.rejects(rawGet(server.url, { authorization: value }, timeouts, {}), /cannot be sent/);
  }
  await assert.rejects(rawGet(server.url, { 'bad name': 'x' }, timeouts, {}), /cannot be sent/);
  assert.equal(server.connections, 1, 'no connection was opened for a request that could not be sent');
});

test('a head and body sent one byte at a time arrive whole, with the headers parsed', async (t) => {
  const body = randomBytes(3000);
  const answer = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nDocker-Content-Digest: sha256:x\r\n\r\n`), body]);
  const server = await scripted(t, (socket) => {
    let at = 0;
    const next = (): void => {
      if (at < answer.length) socket.write(answer.subarray(at, ++at), () => setImmediate(next));
    };
    next();
  });
  const response = await get(server.url);
  assert.equal(response.headers['docker-content-digest'], 'sha256:x');
  assert.equal(response.remoteAddress, '127.0.0.1');
  assert.deepEqual(await readFlowing(response.body), body);
});

test('a 64 MiB body arrives exact, and bytes past the Content-Length are not the body', async (t) => {
  const body = randomBytes(64 * 1024 * 1024);
  const server = await scripted(t, (socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.end(Buffer.concat([body, Buffer.from('HTTP/1.1 200 OK\r\n\r\nsmuggled')]));
  });
  const received = await readFlowing((await get(server.url)).body);
  assert.equal(received.length, body.length);
  assert.equal(sha(received), sha(body));
});

test('a body framed by the connection ends with it', async (t) => {
  const server = await scripted(t, (socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
  assert.equal((await readFlowing((await get(server.url)).body)).toString(), 'until the end');
});

test('a connection closed before the head, or before the body is complete, is an error, never a short body', async (t) => {
  const silent = await scripted(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-'));
  await assert.rejects(get(silent.url), (error: Error & { code?: string }) => error.code === 'ECONNRESET' && /before answering/.test(error.message));
  const short = await scripted(t, (socket) => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(500)}`));
  const error = await failure((await get(short.url)).body);
  assert.equal(error.code, 'ECONNRESET');
  assert.match(error.message, /500 bytes before the end of the body/);
});

test('a malformed or oversized head is refused and its connection closed', async (t) => {
  const conflicting = await scripted(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello'));
  await assert.rejects(get(conflicting.url), { code: 'UPSTREAM_MALFORMED_HEAD', message: /conflicting Content-Length/ });
  await closedSoon(conflicting);
  const endless = await scripted(t, (socket) => {
    const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    const more = (): void => void socket.write(line, (error) => !error && setImmediate(more));
    socket.write('HTTP/1.1 200 OK\r\n', more);
  });
  await assert.rejects(get(endless.url), { code: 'UPSTREAM_MALFORMED_HEAD', message: /larger than/ });
  await closedSoon(endless);
});

test('a chunked answer comes back unsupported, and UpstreamHttp then fetches it over node:http, and asks there first next time', async (t) => {
  const server = await scripted(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'));
  assert.deepEqual(await rawGet(server.url, {}, timeouts, {}), { kind: 'unsupported', reason: 'the body is sent with Transfer-Encoding' });
  const http = new UpstreamHttp(timeouts);
  t.after(() => http.close());
  const first = await http.request(server.url, 'GET', {}, { largeBody: true });
  assert.equal((await readFlowing(first.body)).toString(), 'hello');
  assert.equal(server.requests.length, 3, 'once raw above, then raw and node:http here');
  const second = await http.request(server.url, 'GET', {}, { largeBody: true });
  assert.equal((await readFlowing(second.body)).toString(), 'hello');
  assert.equal(server.requests.length, 4, 'the origin is remembered: one request');
});

test('UpstreamHttp reads blob GETs on http raw, and everything else over node:http', async (t) => {
  const server = await scripted(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
  const http = new UpstreamHttp(timeouts);
  t.after(() => http.close());
  const blob = await http.request(server.url, 'GET', {}, { largeBody: true });
  assert.ok(!(blob.body instanceof IncomingMessage), 'the blob body did not come from node:http');
  assert.equal((await readFlowing(blob.body)).toString(), 'ok');
  for (const [method, limits] of [['GET', {}], ['HEAD', { largeBody: true }]] as const) {
    const other = await http.request(server.url, method, {}, limits);
    assert.ok(other.body instanceof IncomingMessage, `${method} ${JSON.stringify(limits)} went through node:http`);
    await readFlowing(other.body);
  }
});

test('a body nobody reads stops the socket: the server cannot push 64 MiB, and everything arrives once it is read', async (t) => {
  const total = 64 * 1024 * 1024;
  const piece = randomBytes(1024 * 1024);
  let flushed = 0;
  const server = await scripted(t, (socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
    const more = (): void => {
      while (flushed < total) {
        flushed += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', more);
      }
    };
    more();
  });
  const response = await get(server.url);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(flushed < total / 2, `the server got ${flushed / 2 ** 20} MiB out while nobody read`);
  assert.ok(response.body.readableLength <= 2 * 1024 * 1024, `${response.body.readableLength} bytes were buffered`);
  const received = await readFlowing(response.body);
  assert.equal(received.length, total);
  assert.equal(sha(received.subarray(total - piece.length)), sha(piece));
});

test('an upstream that goes silent mid-body, or drips, is given up by the idle or the minimum-progress rule', { timeout: 20_000 }, async (t) => {
  const held = await scripted(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf'));
  const started = Date.now();
  const quiet = await rawGet(held.url, {}, { connectMs: 2_000, idleMs: 300 }, {});
  assert.equal(quiet.kind, 'response');
  const idle = await failure((quiet as Extract<typeof quiet, { kind: 'response' }>).response.body);
  assert.equal(idle.code, idleTimeoutCode);
  assert.ok(Date.now() - started >= 250, 'not before the idle timeout');
  const drip = await scripted(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
    const timer = setInterval(() => socket.write('x'), 20);
    socket.on('close', () => clearInterval(timer));
  });
  const slow = await get(drip.url, { minProgress: { windowMs: 200, bytes: 1024 } });
  assert.equal((await failure(slow.body)).code, slowBodyCode);
});

test('a name that resolves only to a refused address is never connected to; a body dropped by its reader closes the connection', async (t) => {
  const server = await scripted(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart'));
  const byName = new URL(server.url.href.replace('127.0.0.1', 'localhost'));
  await assert.rejects(rawGet(byName, {}, timeouts, { refuseAddress: (address) => `${address} is the mirror's own network` }), { code: refusedAddressCode });
  assert.equal(server.connections, 0);
  const response = await get(byName, { refuseAddress: () => null });
  response.body.destroy();
  await closedSoon(server);
  assert.equal(server.connections, 1);
});
