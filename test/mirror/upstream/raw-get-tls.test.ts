// The raw blob reader over https, against a TLS server whose certificates openssl makes for each
// run: a test CA, a leaf for localhost and a leaf for another name. Requests that must trust the
// CA run in a child started with NODE_EXTRA_CA_CERTS, as a user with a private CA would start
// the mirror; the refusals run here, where the CA is not trusted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { connectTimeoutCode, refusedAddressCode } from '../../../mirror/upstream/http-request.js';
import { rawGet } from '../../../mirror/upstream/raw-get.js';
import { keepAliveServer } from '../../support/keep-alive-server.js';
import { makeTestCertificates, nodeEnvTrusting, type TlsIdentity } from '../../support/test-ca.js';
import type { FetchOutcome, FetchRequest } from '../../support/upstream-fetch-child.js';

const run = promisify(execFile);
const fetchChild = new URL('../../support/upstream-fetch-child.js', import.meta.url).pathname;

/** An https URL of a server that is not one: on localhost, as the certificates are made for. */
async function listening(t: TestContext, server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return new URL(`https://localhost:${port}/v2/library/x/blobs/sha256:ab`);
}

async function inChild(caFile: string, request: FetchRequest): Promise<FetchOutcome[]> {
  const { stdout } = await run(process.execPath, [fetchChild, JSON.stringify(request)], { env: nodeEnvTrusting(caFile) });
  return JSON.parse(stdout) as FetchOutcome[];
}

// Made once for the file rather than per test: each set is five openssl runs.
let certificatesDir: string;
let certificates: { caFile: string; localhost: TlsIdentity; otherName: TlsIdentity };

before(async () => {
  certificatesDir = await mkdtemp(join(tmpdir(), 'dockmirror-tls-'));
  const made = await makeTestCertificates(certificatesDir, { localhost: 'DNS:localhost', 'other.example': 'DNS:other.example' });
  certificates = { caFile: made.caFile, localhost: made.leaves.localhost, otherName: made.leaves['other.example'] };
});

after(() => rm(certificatesDir, { recursive: true, force: true }));

/** The outcome without its chunk count, which only some tests are about. */
function whole(outcome: FetchOutcome | undefined): unknown {
  if (!outcome || !('chunks' in outcome)) return outcome;
  const { chunks: _chunks, ...rest } = outcome;
  return rest;
}

test('over https blob bodies are read raw and exact on one kept connection, with SNI and the chain checked; other requests stay on node:https', async (t) => {
  const body = randomBytes(16 * 1024 * 1024);
  const server = await keepAliveServer(t, (socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
  }, certificates.localhost);
  const blob = { statusCode: 200, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), viaNode: false };
  const raw = await inChild(certificates.caFile, { url: server.url.href, limits: { largeBody: true }, times: 2 });
  assert.deepEqual(raw.map(whole), [blob, blob]);
  // TLS hands over each 16 KiB record as a read of its own; the reader passes them on merged.
  for (const outcome of raw) {
    const { chunks } = outcome as { chunks: number };
    assert.ok(chunks <= body.length / (32 * 1024), `${chunks} chunks for ${body.length / 2 ** 20} MiB: records were passed on one by one`);
  }
  assert.match(server.requests[0]!.head, /^GET \/v2\/library\/x\/blobs\/sha256:ab HTTP\/1\.1\r\nHost: localhost:\d+(\r\n|$)/);
  assert.deepEqual(server.servernames, ['localhost'], 'one handshake for both');
  const [manifest] = await inChild(certificates.caFile, { url: server.url.href });
  assert.deepEqual(whole(manifest), { ...blob, viaNode: true });
});

test('over https a certificate from an unknown CA, or for another name, is refused before the request is sent', async (t) => {
  const answer = (socket: Socket): void => void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');
  const unknownCa = await keepAliveServer(t, answer, certificates.localhost);
  await assert.rejects(rawGet(unknownCa.url, {}, { connectMs: 2_000, idleMs: 2_000 }, {}), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  const otherName = await keepAliveServer(t, answer, certificates.otherName);
  const [refused] = await inChild(certificates.caFile, { url: otherName.url.href, limits: { largeBody: true } });
  assert.equal((refused as { code?: string }).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  assert.deepEqual([unknownCa.requests, otherName.requests], [[], []], 'no request reached a server the mirror did not trust');
});

test('over https a server that takes the connection but never completes the handshake is cut at the connect timeout; a refused address is never dialled', async (t) => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const silent = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
  });
  t.after(() => sockets.forEach((socket) => socket.destroy()));
  const url = await listening(t, silent);
  const started = Date.now();
  await assert.rejects(rawGet(url, {}, { connectMs: 300, idleMs: 10_000 }, {}), { code: connectTimeoutCode });
  assert.ok(Date.now() - started < 5_000, 'cut at the connect timeout, not the idle one');
  await assert.rejects(rawGet(url, {}, { connectMs: 300, idleMs: 10_000 }, { refuseAddress: (address) => `${address} is refused` }), { code: refusedAddressCode });
  assert.equal(connections, 1);
});

test('over https a chunked blob answer falls back to node:https, and the origin is asked there first next time', async (t) => {
  const server = await keepAliveServer(t, (socket) => {
    socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  }, certificates.localhost);
  const outcomes = await inChild(certificates.caFile, { url: server.url.href, limits: { largeBody: true }, times: 2 });
  const hello = { statusCode: 200, bytes: 5, sha256: createHash('sha256').update('hello').digest('hex'), viaNode: true };
  assert.deepEqual(outcomes.map(whole), [hello, hello]);
  assert.equal(server.requests.length, 3, 'raw, then node:https, then node:https at once');
});

test('over https the last bytes before the server closes are the body\'s, framed by the close or by its length', async (t) => {
  // TLS can deliver the last records and the close in one read: the bytes must reach the body first.
  const tail = randomBytes(40 * 1024);
  const byClose = await keepAliveServer(t, (socket) => void socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), tail])), certificates.localhost);
  const byLength = await keepAliveServer(t, (socket) => {
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${tail.length}\r\n\r\n`), tail]));
  }, certificates.localhost);
  const expected = { statusCode: 200, bytes: tail.length, sha256: createHash('sha256').update(tail).digest('hex'), viaNode: false };
  for (const server of [byClose, byLength]) {
    const outcomes = await inChild(certificates.caFile, { url: server.url.href, limits: { largeBody: true }, times: 20 });
    assert.deepEqual(outcomes.map(whole), Array(20).fill(expected));
  }
});
