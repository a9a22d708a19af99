// The minimum-progress rule on blob bodies, through both of UpstreamHttp's readers (raw for blob
// GETs, node:http for the rest) and both ways a body can be read: flowing ('data'), as the blob
// download reads, and in paused mode (an async iterator). A drip is cut whichever way the body
// is read; a body its reader holds back, or one that arrived whole and waits, is never cut.
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { slowBodyCode, UpstreamHttp } from '../../../mirror/upstream/http-request.js';
import type { HttpResponse } from '../../../mirror/upstream/http-shared.js';
import { readFlowing } from '../../support/flowing-body.js';
import { keepAliveServer } from '../../support/keep-alive-server.js';

const rule = { windowMs: 200, bytes: 1024 };
/** Long enough for five windows to be judged; short of the 2 s idle timeout. */
const fiveWindows = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5 * rule.windowMs));

const paths = { raw: { largeBody: true }, 'node:http': {} } as const;
type Path = keyof typeof paths;

async function readIterating(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const readers = { flowing: readFlowing, 'with an async iterator': readIterating };

async function fetchBody(t: TestContext, path: Path, answer: (socket: Socket) => void): Promise<HttpResponse> {
  const server = await keepAliveServer(t, answer);
  const http = new UpstreamHttp({ connectMs: 2_000, idleMs: 2_000 });
  t.after(() => http.close());
  const response = await http.request(server.url, 'GET', {}, { ...paths[path], minProgress: rule });
  assert.equal(response.body instanceof IncomingMessage, path === 'node:http', `the body came over ${path}`);
  return response;
}

function drip(socket: Socket): void {
  socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
  const timer = setInterval(() => socket.write('x'), 20);
  socket.on('close', () => clearInterval(timer));
}

for (const path of Object.keys(paths) as Path[]) {
  for (const [how, read] of Object.entries(readers)) {
    test(`a drip over ${path}, read ${how}, is cut by the minimum-progress rule`, { timeout: 5_000 }, async (t) => {
      const response = await fetchBody(t, path, drip);
      await assert.rejects(read(response.body), { code: slowBodyCode });
    });
  }

  test(`over ${path}, a body whose paused-mode reader stops taking it is not cut, and arrives whole`, { timeout: 5_000 }, async (t) => {
    const total = 4 * 1024 * 1024;
    const response = await fetchBody(t, path, (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      socket.write(Buffer.alloc(total, 7));
    });
    const chunks = response.body[Symbol.asyncIterator]();
    const first = (await chunks.next()).value as Buffer;
    await fiveWindows();
    let bytes = first.length;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) bytes += (next.value as Buffer).length;
    assert.equal(bytes, total);
  });

  test(`over ${path}, a body that arrived whole is not cut while it waits for its reader`, { timeout: 5_000 }, async (t) => {
    const sized = await fetchBody(t, path, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwhole'));
    const framedByClose = await fetchBody(t, path, (socket) => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close'));
    await fiveWindows();
    assert.equal((await readIterating(sized.body)).toString(), 'whole');
    assert.equal((await readIterating(framedByClose.body)).toString(), 'until close');
  });

  test(`over ${path}, a flowing reader's pause is not held against a drip, and its resume is`, { timeout: 5_000 }, async (t) => {
    const response = await fetchBody(t, path, drip);
    const errors: (Error & { code?: string })[] = [];
    response.body.on('error', (error) => errors.push(error));
    response.body.on('data', () => {});
    response.body.pause();
    await fiveWindows();
    assert.equal(errors.length, 0, 'cut while its reader held it paused');
    response.body.resume();
    await fiveWindows();
    assert.deepEqual(errors.map((error) => error.code), [slowBodyCode]);
  });
}
