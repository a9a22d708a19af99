// Upstream 5xx answers and timeouts, injected for real: the hub stand-in answers 503/500 or goes
// silent, and a bare TCP server accepts connections and never says a word. Retries must be
// bounded, and the mirror must answer its client within its configured timeouts, never hang.
// (Unreachable upstreams and 429s are proven in test/mirror/engine.test.ts.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorOptions } from '../../../mirror/index.js';
import { sha256 } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;
/** Removed after every mirror stopped: a hook that removes a folder a mirror still writes fails, and stops the hooks after it. */
const dirs: string[] = [];
/** Short upstream timeouts, so a test proves the bound in seconds. */
const upstreamIdleMs = 1_000;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-faults-'));
  dirs.push(dir);
  return dir;
}

async function startMirror(t: TestContext, options: Partial<MirrorOptions> = {}): Promise<{ engine: MirrorEngine; base: string }> {
  const cacheDir = options.cacheDir ?? (await freshDir());
  const engine = createMirror({
    cacheDir,
    upstream: upstream.url,
    minFreeBytes: 0,
    httpTimeouts: { upstreamConnectMs: 1_000, upstreamIdleMs },
    ...options,
  });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  return { engine, base: `http://127.0.0.1:${port}` };
}

function hits(server: 'registry' | 'cdn', fragment: string): number {
  return upstream.hub.stats().requests.filter((r) => r.server === server && r.url.includes(fragment)).length;
}

async function ociError(response: Response): Promise<{ code: string; message: string }> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
}

test('a 503 once on a manifest and a 500 once on a blob: the client never sees them', async (t) => {
  const { base } = await startMirror(t);
  const image = upstream.images.sharedB;
  const layer = image.layers[1]!;
  const manifestPath = `/v2/${image.repository}/manifests/`;
  const manifestsBefore = hits('registry', manifestPath);
  const cdnBefore = hits('cdn', layer.digest.slice(7));
  upstream.hub.injectManifestFault(image.repository, { kind: 'status', status: 503 }, 1);
  upstream.hub.injectBlobFault(layer.digest, { kind: 'status', status: 500 }, 1);
  const manifest = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: image.mediaType } });
  assert.equal(manifest.status, 200);
  assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), image.bytes);
  const blob = await fetch(`${base}/v2/${image.repository}/blobs/${layer.digest}`);
  assert.equal(blob.status, 200);
  assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), layer.digest);
  assert.ok(hits('registry', manifestPath) - manifestsBefore >= 2, 'the manifest was asked for again after the 503');
  assert.equal(hits('cdn', layer.digest.slice(7)) - cdnBefore, 2, 'one failed and one good blob fetch');
});

test('a manifest that keeps failing with 503 is retried a bounded number of times, then a clear 503', async (t) => {
  const { base } = await startMirror(t);
  const image = upstream.images.sharedA;
  upstream.hub.injectManifestFault(image.repository, { kind: 'status', status: 503 });
  t.after(() => upstream.hub.clearFaults());
  const before = hits('registry', `/v2/${image.repository}/manifests/`);
  const response = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`);
  assert.equal(response.status, 503);
  const error = await ociError(response);
  assert.equal(error.code, 'UNAVAILABLE');
  assert.match(error.message, /answered 503/);
  const attempts = hits('registry', `/v2/${image.repository}/manifests/`) - before;
  assert.ok(attempts >= 2 && attempts <= 4, `${attempts} attempts upstream`);
});

test('a blob whose upstream goes silent half way is resumed after the idle timeout', async (t) => {
  const { base } = await startMirror(t);
  const layer = upstream.images.multi.manifests[0]!.layers[0]!;
  upstream.hub.injectBlobFault(layer.digest, { kind: 'hold', afterBytes: Math.floor(layer.size / 2) }, 1);
  const started = Date.now();
  const response = await fetch(`${base}/v2/library/multi-test/blobs/${layer.digest}`);
  assert.equal(sha256(Buffer.from(await response.arrayBuffer())), layer.digest);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= upstreamIdleMs, `waited ${elapsed} ms: the silence was noticed by the idle timeout`);
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
  const cdn = upstream.hub.stats().requests.filter((r) => r.server === 'cdn' && r.url.includes(layer.digest.slice(7)));
  assert.equal(cdn.length, 2, 'stalled once, resumed once');
});

test('an upstream that accepts connections and never answers: a clear 503 within the timeouts, cached tags still served', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    // Reads (and ignores) the requests, so a hang-up by the mirror is seen as 'close'.
    socket.resume();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  // Filled while the upstream was fine; both mirrors call their upstream docker.io, so they share records.
  const cacheDir = await freshDir();
  const { alpine } = upstream.images;
  const filler = await startMirror(t, { cacheDir, registryName: 'docker.io' });
  assert.equal((await fetch(`${filler.base}/v2/${alpine.repository}/manifests/latest`).then((r) => r.arrayBuffer())).byteLength, alpine.size);
  await filler.engine.stop();

  const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const { engine, base } = await startMirror(t, { cacheDir, registryName: 'docker.io', upstream: silentUrl, tagTtlMs: 1 });
  for (const path of ['/v2/library/multi-test/manifests/latest', `/v2/library/alpine-test/blobs/${alpine.layers[0]!.digest}`]) {
    const started = Date.now();
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(20_000) });
    const elapsed = Date.now() - started;
    assert.equal(response.status, 503, path);
    const error = await ociError(response);
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, /did not answer within 1 s/);
    // A few attempts of one idle timeout each, plus the backoff between them.
    assert.ok(elapsed >= upstreamIdleMs && elapsed < 8_000, `${path} answered after ${elapsed} ms`);
  }
  const deadline = Date.now() + 2_000;
  while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(sockets.size, 0, 'the mirror hung up on the silent upstream instead of waiting on');
  assert.ok(engine.status().problems.some((p) => p.code === 'upstream-unreachable'));

  // The cached tag's revalidation times out too, and the cached manifest is served stale.
  const stale = await fetch(`${base}/v2/${alpine.repository}/manifests/latest`, { signal: AbortSignal.timeout(20_000) });
  assert.equal(stale.status, 200);
  assert.deepEqual(Buffer.from(await stale.arrayBuffer()), alpine.bytes);
});
