// Untrusted LAN clients: generated paths and headers, slow clients, refused addresses. The mirror
// answers each with an OCI error, never a 5xx, never a crash, never a file outside its cache.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'undici';
import { createMirror, type MirrorEngine, type RequestEvent } from '../../../mirror/index.js';
import { markerFileName } from '../../../mirror/store/paths.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';

let upstream: RunningRegistry;
let mirror: MirrorEngine;
let base: string;
let port: number;
let workDir: string;
const events: RequestEvent[] = [];

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-hostile-'));
  // Files beside the cache that a traversal would reach; their state is checked at the end.
  await mkdir(join(workDir, 'outside'), { recursive: true });
  await writeFile(join(workDir, 'outside', 'secret.txt'), 'not for clients');
  upstream = await startRegistry();
  mirror = createMirror({ cacheDir: join(workDir, 'cache'), upstream: upstream.url, defaultRegistries: false, httpTimeouts: { headersMs: 1_500, requestMs: 3_000 } });
  mirror.subscribe((event) => event.type === 'request' && events.push(event));
  ({ port } = await mirror.start({ host: '127.0.0.1', port: 0 }));
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await mirror?.stop();
  await upstream?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** A tiny deterministic generator, so a failing case can be reproduced from its index. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const fragments = [
  '..', '%2e%2e', '%2E%2e', '%2f', '%5c', '\\', '.', '//', 'library', 'alpine', 'manifests', 'blobs', 'tags', 'list', 'uploads',
  '_catalog', 'latest', `sha256:${'a'.repeat(64)}`, `sha256:${'A'.repeat(64)}`, 'sha512:00', 'sha256:', '%00', '%0d%0a', 'etc', 'passwd',
  '~', '$HOME', '*', '?n=-1', '?n=99999999', '?last=%ff', '?ns=ghcr.io', '?ns=docker.io', 'x'.repeat(300), 'UPPER', '-a', 'a_b', 'é',
];

async function rawRequest(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  // undici's Client sends the path exactly as given (no normalisation), like a hostile client would.
  const client = new Client(base);
  try {
    const response = await client.request({ method, path, headers }).catch((error: Error) => ({ error }));
    if ('error' in response) return { status: -1, body: response.error.message };
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await client.close();
  }
}

describe('generated requests', () => {
  test('thousands of generated paths and headers: no 5xx, every error is OCI JSON', async () => {
    const random = generator(20261128);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const methods = ['GET', 'HEAD', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'FOO'];
    const failures: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const segments = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(fragments));
      const path = `/v2/${segments.join(random() < 0.8 ? '/' : '')}`;
      const headers: Record<string, string> = {};
      if (random() < 0.3) headers.range = pick(['bytes=0-10', 'bytes=-5', 'bytes=5-1', 'bytes=0-1,3-4', 'bytes=abc', 'items=1-2', `bytes=${'9'.repeat(40)}-`]);
      if (random() < 0.1) headers.authorization = pick(['Basic !!!', 'Bearer x', 'Basic ' + Buffer.from('a:b').toString('base64')]);
      if (random() < 0.1) headers.accept = 'x'.repeat(2000);
      const method = pick(methods);
      const { status, body } = await rawRequest(method, path, headers);
      if (status < 0 || status >= 500) failures.push(`#${i} ${method} ${path} → ${status} ${body.slice(0, 200)}`);
      else if (status >= 400 && method !== 'HEAD') {
        try {
          const parsed = JSON.parse(body) as { errors?: { code?: string }[] };
          if (!parsed.errors?.[0]?.code) failures.push(`#${i} ${method} ${path} → ${status} without an OCI error code`);
        } catch {
          failures.push(`#${i} ${method} ${path} → ${status} with a non-JSON body: ${body.slice(0, 100)}`);
        }
      }
      if (body.includes('    at ')) failures.push(`#${i} ${method} ${path} leaked a stack trace`);
    }
    assert.deepEqual(failures.slice(0, 20), []);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200, 'the mirror still serves after the fuzzing');
  });

  test('nothing outside the cache directory was touched or created', async () => {
    const outside = await readdir(join(workDir, 'outside'));
    assert.deepEqual(outside, ['secret.txt']);
    assert.deepEqual((await readdir(workDir)).sort(), ['cache', 'outside']);
    const allowedTop = new Set(['blobs', 'tmp', 'registries', 'manifests', markerFileName]);
    for (const entry of await readdir(join(workDir, 'cache'))) assert.ok(allowedTop.has(entry), `unexpected ${entry} in the cache`);
    // No request for a name outside the grammar may have created a record directory.
    const registries = join(workDir, 'cache', 'registries');
    const created = await readdir(registries).catch(() => [] as string[]);
    for (const registry of created) {
      const info = await stat(join(registries, registry));
      assert.ok(info.isDirectory());
      assert.ok(!relative(registries, join(registries, registry)).startsWith('..'));
    }
  });
});

describe('specific bad input', () => {
  test('each malformed request gets the right OCI error code and status', async () => {
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['GET', '/v2/%2e%2e/%2e%2e/etc/manifests/latest', {}, 400, 'NAME_INVALID'],
      ['GET', '/v2/a%2fb/manifests/latest', {}, 400, 'NAME_INVALID'],
      ['GET', '/v2/../../etc/passwd', {}, 400, 'NAME_INVALID'],
      ['GET', '/v2/UPPER/manifests/latest', {}, 400, 'NAME_INVALID'],
      ['GET', `/v2/alpine/blobs/sha256:${'A'.repeat(64)}`, {}, 400, 'DIGEST_INVALID'],
      ['GET', `/v2/alpine/blobs/sha256:${'a'.repeat(63)}`, {}, 400, 'DIGEST_INVALID'],
      ['GET', `/v2/alpine/blobs/md5:${'a'.repeat(32)}`, {}, 400, 'DIGEST_INVALID'],
      ['GET', '/v2/alpine/manifests/.bad', {}, 400, 'TAG_INVALID'],
      ['PUT', '/v2/alpine/manifests/latest', {}, 405, 'UNSUPPORTED'],
      ['POST', '/v2/alpine/blobs/uploads/', {}, 405, 'UNSUPPORTED'],
      ['DELETE', `/v2/alpine/blobs/sha256:${'a'.repeat(64)}`, {}, 405, 'UNSUPPORTED'],
      ['GET', '/v2/alpine/tags/list?n=-1', {}, 400, 'PAGINATION_NUMBER_INVALID'],
      ['GET', '/v2/alpine/manifests/latest?ns=ghcr.io', {}, 404, 'NAME_UNKNOWN'],
      ['GET', '/v2/nothing-here/manifests/latest', {}, 404, 'MANIFEST_UNKNOWN'],
      ['GET', `/v2/nothing-here/blobs/sha256:${'a'.repeat(64)}`, {}, 404, 'BLOB_UNKNOWN'],
      ['GET', `/v2/${'a/'.repeat(1100)}x/manifests/latest`, {}, 400, 'NAME_INVALID'],
    ];
    for (const [method, path, headers, status, code] of cases) {
      const response = await rawRequest(method, path, headers);
      assert.equal(response.status, status, `${method} ${path}: ${response.body}`);
      assert.equal((JSON.parse(response.body) as { errors: { code: string }[] }).errors[0]!.code, code, `${method} ${path}`);
    }
  });

  test('absurdly long headers are refused by the HTTP layer without harm', async () => {
    const response = await rawRequest('GET', '/v2/', { 'x-junk': 'y'.repeat(64 * 1024) });
    assert.equal(response.status, 431);
    assert.equal((await fetch(`${base}/v2/`)).status, 200);
  });
});

describe('slow clients', () => {
  test('stalled clients sending headers byte by byte are cut off and do not hold the server', async () => {
    const sockets = Array.from({ length: 50 }, () => connect(port, '127.0.0.1'));
    const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.on('close', () => resolve())));
    for (const socket of sockets) {
      socket.on('error', () => {});
      socket.resume(); // read the server's answer, or 'close' never comes
      socket.write('GET /v2/ HTTP/1.1\r\nHost: x\r\n');
    }
    const drip = setInterval(() => sockets.forEach((socket) => socket.writable && socket.write('X-a: b\r\n')), 200);
    try {
      // The server keeps answering others while 50 clients stall.
      const response = await fetch(`${base}/v2/`);
      assert.equal(response.status, 200);
      // Each stalled client is disconnected once the header timeout passes (1.5 s here).
      await Promise.all(closed);
    } finally {
      clearInterval(drip);
      sockets.forEach((socket) => socket.destroy());
    }
  });
});

describe('LAN allowlist', () => {
  test('a client outside the allowlist gets 403 DENIED and a log event', async (t) => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-allow-'));
    t.after(() => rm(cacheDir, { recursive: true, force: true }));
    const strict = createMirror({ cacheDir, upstream: upstream.url, allowlist: ['10.99.0.0/16'] });
    const seen: RequestEvent[] = [];
    strict.subscribe((event) => event.type === 'request' && seen.push(event));
    const { port: strictPort } = await strict.start({ host: '127.0.0.1', port: 0 });
    t.after(() => strict.stop());
    const response = await fetch(`http://127.0.0.1:${strictPort}/v2/`);
    assert.equal(response.status, 403);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.match(body.errors[0]!.message, /does not serve clients at 127\.0\.0\.1/);
    assert.equal(seen.at(-1)?.status, 403);
    assert.equal(seen.at(-1)?.errorCode, 'DENIED');
  });
});
