// The engine against a real distribution behind the Docker Hub stand-in, over real HTTP. Each
// test counts what reached the upstream, which is where a mirror earns its keep.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { createMirror, defaultTagTtlMs, testUpstreamCredentials, type MirrorEngine, type MirrorEvent, type MirrorOptions, type PullEvent, type RequestEvent } from '../../mirror/index.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { pushBlob, sha256, type PushedImageManifest } from '../support/images.js';
import { blobFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

interface RunningMirror {
  engine: MirrorEngine;
  base: string;
  cacheDir: string;
  events: MirrorEvent[];
}

async function startMirror(t: TestContext, options: Partial<MirrorOptions> = {}, cacheDir?: string): Promise<RunningMirror> {
  const dir = cacheDir ?? (await mkdtemp(join(tmpdir(), 'dockmirror-engine-')));
  const engine = createMirror({ cacheDir: dir, upstream: upstream.url, minFreeBytes: 0, ...options });
  const events: MirrorEvent[] = [];
  engine.subscribe((event) => events.push(event));
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  // One hook, in this order: a removal racing the engine's last record writes fails with ENOTEMPTY.
  t.after(async () => {
    await engine.stop();
    if (!cacheDir) await rm(dir, { recursive: true, force: true });
  });
  return { engine, base: `http://127.0.0.1:${port}`, cacheDir: dir, events };
}

async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

function blobGets(digest: string): number {
  return upstream.hub.stats().blobGets[digest] ?? 0;
}

function bytesSent(digest: string): number {
  return upstream.hub.stats().blobBytesSent[digest] ?? 0;
}

function requests(events: MirrorEvent[]): RequestEvent[] {
  return events.filter((e): e is RequestEvent => e.type === 'request');
}

async function waitFor<T>(find: () => T | undefined, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('registry API', () => {
  test('GET /v2/ answers 200 with the API version header', async (t) => {
    const { base } = await startMirror(t);
    const response = await fetch(`${base}/v2/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('manifests by tag and digest are the exact upstream bytes with their headers', async (t) => {
    const { base } = await startMirror(t);
    for (const image of [upstream.images.alpine, upstream.images.multi]) {
      const name = image.repository.replace(/^library\//, '');
      const byTag = await fetch(`${base}/v2/${name}/manifests/${image.tag}`, { headers: { accept: image.mediaType } });
      assert.equal(byTag.status, 200);
      assert.deepEqual(await bytesOf(byTag), image.bytes);
      assert.equal(byTag.headers.get('content-type'), image.mediaType);
      assert.equal(byTag.headers.get('docker-content-digest'), image.digest);
      assert.equal(byTag.headers.get('content-length'), String(image.size));
      assert.equal(byTag.headers.get('etag'), `"${image.digest}"`);
      const head = await fetch(`${base}/v2/${image.repository}/manifests/${image.digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('docker-content-digest'), image.digest);
      assert.equal(head.headers.get('content-length'), String(image.size));
    }
    const child = upstream.images.multi.manifests[0]!;
    const byDigest = await fetch(`${base}/v2/library/multi-test/manifests/${child.digest}`);
    assert.deepEqual(await bytesOf(byDigest), child.bytes);
    assert.equal(byDigest.headers.get('content-type'), child.mediaType);
  });

  test('blobs in full, by range (206) and out of range (416)', async (t) => {
    const { base } = await startMirror(t);
    const layer = upstream.images.alpine.layers[1]!;
    const full = await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`);
    assert.equal(full.status, 200);
    const body = await bytesOf(full);
    assert.equal(sha256(body), layer.digest);
    assert.equal(full.headers.get('docker-content-digest'), layer.digest);
    const partial = await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`, { headers: { range: 'bytes=10-109' } });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 10-109/${layer.size}`);
    assert.deepEqual(await bytesOf(partial), body.subarray(10, 110));
    const outside = await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.size}-` } });
    assert.equal(outside.status, 416);
    assert.equal(((await outside.json()) as { errors: { code: string }[] }).errors[0]!.code, 'RANGE_INVALID');
  });

  test('unknown manifests and blobs are MANIFEST_UNKNOWN and BLOB_UNKNOWN', async (t) => {
    const { base } = await startMirror(t);
    const manifest = await fetch(`${base}/v2/alpine-test/manifests/no-such-tag`);
    assert.equal(manifest.status, 404);
    assert.equal(((await manifest.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_UNKNOWN');
    const blob = await fetch(`${base}/v2/alpine-test/blobs/sha256:${'0'.repeat(64)}`);
    assert.equal(blob.status, 404);
    assert.equal(((await blob.json()) as { errors: { code: string }[] }).errors[0]!.code, 'BLOB_UNKNOWN');
  });

  test('tags/list passes pagination through; _catalog lists what the cache holds', async (t) => {
    const { base } = await startMirror(t);
    const tags = (await (await fetch(`${base}/v2/alpine-test/tags/list`)).json()) as { name: string; tags: string[] };
    assert.equal(tags.name, 'library/alpine-test');
    assert.ok(tags.tags.includes('latest'));
    const page = await fetch(`${base}/v2/alpine-test/tags/list?n=1`);
    assert.equal(((await page.json()) as { tags: string[] }).tags.length, 1);
    assert.deepEqual(await (await fetch(`${base}/v2/_catalog`)).json(), { repositories: [] });
    await (await fetch(`${base}/v2/dockmirror/shared-a/manifests/1`)).arrayBuffer();
    await (await fetch(`${base}/v2/alpine-test/manifests/latest`)).arrayBuffer();
    assert.deepEqual(await (await fetch(`${base}/v2/_catalog`)).json(), { repositories: ['dockmirror/shared-a', 'library/alpine-test'] });
    assert.deepEqual(await (await fetch(`${base}/v2/_catalog?n=1`)).json(), { repositories: ['dockmirror/shared-a'] });
  });

  test('writes are refused with 405 UNSUPPORTED', async (t) => {
    const { base } = await startMirror(t);
    const response = await fetch(`${base}/v2/alpine-test/manifests/latest`, { method: 'PUT', body: '{}' });
    assert.equal(response.status, 405);
    assert.equal(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code, 'UNSUPPORTED');
  });
});

describe('one upstream fetch per blob', () => {
  test('8 concurrent clients and a late joiner of an uncached blob cost the upstream its size once', async (t) => {
    const { base, events } = await startMirror(t);
    const layer = upstream.images.sharedB.layers[1]!;
    upstream.hub.injectBlobFault(layer.digest, { kind: 'delay', ms: 300 }, 1);
    const before = bytesSent(layer.digest);
    const fetches = Array.from({ length: 8 }, () => fetch(`${base}/v2/dockmirror/shared-b/blobs/${layer.digest}`).then(bytesOf));
    const late = (async () => {
      await waitFor(() => requests(events).find((e) => e.reference === layer.digest) ?? (bytesSent(layer.digest) > before ? true : undefined), 'the download to start');
      return bytesOf(await fetch(`${base}/v2/dockmirror/shared-b/blobs/${layer.digest}`));
    })();
    const bodies = await Promise.all([...fetches, late]);
    for (const body of bodies) assert.equal(sha256(body), layer.digest);
    assert.equal(bytesSent(layer.digest) - before, layer.size, 'upstream bytes are exactly 1.00× the blob');
    // Events are emitted once the server has finished each answer, a moment after the client.
    await waitFor(() => (requests(events).filter((e) => e.reference === layer.digest).length === 9 ? true : undefined), 'nine request events');
    const results = requests(events).filter((e) => e.reference === layer.digest).map((e) => e.cache);
    assert.equal(results.filter((r) => r === 'miss').length, 1);
    assert.equal(results.length, 9);
  });

  test('a client that disconnects does not abort the download the cache wants', async (t) => {
    const { base, engine } = await startMirror(t);
    const layer = upstream.images.alpine.layers[1]!;
    upstream.hub.injectBlobFault(layer.digest, { kind: 'delay', ms: 200 }, 1);
    const controller = new AbortController();
    const response = await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`, { signal: controller.signal });
    controller.abort();
    await response.body?.cancel().catch(() => {});
    await waitFor(() => (engine.status().cache.blobs > 0 ? true : undefined), 'the blob to be stored');
    const gets = blobGets(layer.digest);
    const again = await bytesOf(await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`));
    assert.equal(sha256(again), layer.digest);
    assert.equal(blobGets(layer.digest), gets, 'served from the store, not fetched again');
  });

  test('a blob cached for one repository is served for another only after the upstream confirms it', async (t) => {
    const { base } = await startMirror(t);
    const shared = upstream.images.sharedA.layers[0]!;
    assert.equal(shared.digest, upstream.images.sharedB.layers[0]!.digest, 'the fixtures share this layer');
    await bytesOf(await fetch(`${base}/v2/dockmirror/shared-a/blobs/${shared.digest}`));
    const gets = blobGets(shared.digest);
    const heads = upstream.hub.stats().blobHeads[shared.digest] ?? 0;
    const forB = await fetch(`${base}/v2/dockmirror/shared-b/blobs/${shared.digest}`);
    assert.equal(sha256(await bytesOf(forB)), shared.digest);
    assert.equal(blobGets(shared.digest), gets, 'no second download');
    assert.equal((upstream.hub.stats().blobHeads[shared.digest] ?? 0) - heads, 1, 'one HEAD confirmed shared-b has it');
    // alpine-test does not have the layer upstream, so the cache must not hand it out there.
    const refused = await fetch(`${base}/v2/alpine-test/blobs/${shared.digest}`);
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code, 'BLOB_UNKNOWN');
  });
});

describe('tags', () => {
  test('within the TTL a tag costs nothing upstream; after it, one HEAD and no GET', async (t) => {
    const clock = { ms: Date.now() };
    const { base } = await startMirror(t, { now: () => clock.ms });
    const repo = upstream.images.sharedA.repository;
    await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    const gets = upstream.hub.stats().manifestGets[repo] ?? 0;
    const heads = upstream.hub.stats().manifestHeads[repo] ?? 0;
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    clock.ms += defaultTagTtlMs - 1;
    await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    assert.equal(upstream.hub.stats().manifestGets[repo] ?? 0, gets);
    assert.equal(upstream.hub.stats().manifestHeads[repo] ?? 0, heads, 'the last millisecond of the TTL still costs nothing');
    clock.ms += 2;
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/v2/${repo}/manifests/1`).then(bytesOf)));
    for (const body of concurrent) assert.deepEqual(body, upstream.images.sharedA.bytes);
    assert.equal((upstream.hub.stats().manifestHeads[repo] ?? 0) - heads, 1, 'concurrent revalidations share one HEAD');
    assert.equal(upstream.hub.stats().manifestGets[repo] ?? 0, gets, 'an unchanged digest is not fetched again');
  });

  test('a tag that moved upstream is fetched again after the TTL', async (t) => {
    const { pushImage } = await import('../support/images.js');
    const clock = { ms: Date.now() };
    const { base } = await startMirror(t, { tagTtlMs: 200, now: () => clock.ms });
    const first = await pushImage(upstream.registry.url, { repository: 'dockmirror/moving', tag: 'v', layers: [[{ path: '/a.txt', content: 'one\n' }]] });
    assert.equal((await fetch(`${base}/v2/dockmirror/moving/manifests/v`)).headers.get('docker-content-digest'), first.digest);
    const second = await pushImage(upstream.registry.url, { repository: 'dockmirror/moving', tag: 'v', layers: [[{ path: '/a.txt', content: 'two\n' }]] });
    assert.notEqual(first.digest, second.digest);
    const early = await fetch(`${base}/v2/dockmirror/moving/manifests/v`);
    assert.equal(early.headers.get('docker-content-digest'), first.digest, 'within the TTL the cached tag answers');
    clock.ms += 201;
    const moved = await fetch(`${base}/v2/dockmirror/moving/manifests/v`);
    assert.equal(moved.headers.get('docker-content-digest'), second.digest);
    assert.deepEqual(await bytesOf(moved), second.bytes);
  });

  test('tag records survive a restart', async (t) => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-engine-'));
    t.after(() => rm(cacheDir, { recursive: true, force: true }));
    const first = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 });
    const { port } = await first.start({ host: '127.0.0.1', port: 0 });
    await (await fetch(`http://127.0.0.1:${port}/v2/alpine-test/manifests/latest`)).arrayBuffer();
    await first.stop();
    const requestsBefore = upstream.hub.stats().requests.length;
    const { base } = await startMirror(t, {}, cacheDir);
    const again = await fetch(`${base}/v2/alpine-test/manifests/latest`);
    assert.deepEqual(await bytesOf(again), upstream.images.alpine.bytes);
    assert.equal(upstream.hub.stats().requests.length, requestsBefore, 'answered from the store alone');
  });
});

describe('when the upstream fails', () => {
  test('unreachable: cached tags and blobs are served stale; uncached requests fail fast with 503', async (t) => {
    const { base, engine, events } = await startMirror(t, { tagTtlMs: 1 });
    const image = upstream.images.sharedA;
    await (await fetch(`${base}/v2/${image.repository}/manifests/1`)).arrayBuffer();
    await bytesOf(await fetch(`${base}/v2/${image.repository}/blobs/${image.layers[1]!.digest}`));
    await upstream.hub.setDown('refuse');
    t.after(() => upstream.hub.setDown(false));
    const stale = await fetch(`${base}/v2/${image.repository}/manifests/1`);
    assert.equal(stale.status, 200);
    assert.deepEqual(await bytesOf(stale), image.bytes);
    assert.equal(requests(events).at(-1)?.cache, 'stale');
    const blob = await fetch(`${base}/v2/${image.repository}/blobs/${image.layers[1]!.digest}`);
    assert.equal(sha256(await bytesOf(blob)), image.layers[1]!.digest);
    const started = Date.now();
    const uncached = await fetch(`${base}/v2/alpine-test/manifests/latest`);
    assert.equal(uncached.status, 503);
    assert.match(((await uncached.json()) as { errors: { message: string }[] }).errors[0]!.message, /unreachable/);
    assert.ok(Date.now() - started < 10_000, 'fails in seconds, not minutes');
    assert.ok(engine.status().problems.some((p) => p.code === 'upstream-unreachable'));
  });

  test('429: cached content is served stale; otherwise TOOMANYREQUESTS with Retry-After and advice', async (t) => {
    const { base, engine } = await startMirror(t, { tagTtlMs: 1 });
    await (await fetch(`${base}/v2/dockmirror/shared-b/manifests/1`)).arrayBuffer();
    upstream.hub.resetRateLimits({ anonymous: 0 });
    t.after(() => upstream.hub.resetRateLimits({ anonymous: 100 }));
    // The HEAD revalidation is not counted, so the cached tag stays fresh; force a GET with a new cache.
    const stale = await fetch(`${base}/v2/dockmirror/shared-b/manifests/1`);
    assert.equal(stale.status, 200);
    const limited = await fetch(`${base}/v2/alpine-test/manifests/latest`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3600');
    const error = ((await limited.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(error.code, 'TOOMANYREQUESTS');
    assert.match(error.message, /pull rate limit was reached/);
    assert.match(error.message, /adding Docker Hub credentials raises the limit/);
    assert.ok(engine.status().problems.some((p) => p.code === 'rate-limited'));
  });

  test('a cut connection is resumed with a Range request; the client gets one verified blob', async (t) => {
    const { base } = await startMirror(t);
    const layer = upstream.images.multi.manifests[1]!.layers[0]!;
    upstream.hub.injectBlobFault(layer.digest, { kind: 'cut', afterBytes: Math.floor(layer.size / 2) }, 1);
    const body = await bytesOf(await fetch(`${base}/v2/library/multi-test/blobs/${layer.digest}`));
    assert.equal(sha256(body), layer.digest);
    const hex = layer.digest.slice('sha256:'.length);
    const cdn = upstream.hub.stats().requests.filter((r) => r.server === 'cdn' && r.url.includes(hex));
    assert.equal(cdn.length, 2, 'cut once, resumed once');
  });

  test('bytes that do not match the digest are never stored, and the client never gets a complete transfer', async (t) => {
    const { base, engine } = await startMirror(t);
    const layer = upstream.images.multi.manifests[0]!.layers[0]!;
    upstream.hub.injectBlobFault(layer.digest, { kind: 'corrupt' }, 5);
    t.after(() => upstream.hub.clearFaults());
    const response = await fetch(`${base}/v2/library/multi-test/blobs/${layer.digest}`);
    const outcome = await bytesOf(response).then(
      (body) => `complete ${body.length}`,
      () => 'aborted',
    );
    assert.equal(outcome, 'aborted');
    assert.equal(engine.status().cache.blobs, 0);
  });
});

describe('credentials', () => {
  test('tokens are requested with Basic credentials; the CDN never sees Authorization; the limit is the account\'s', async (t) => {
    const { base, engine } = await startMirror(t, {
      credentials: { get: async () => ({ username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password }) },
    });
    upstream.hub.resetStats();
    const image = upstream.images.alpine as PushedImageManifest;
    await (await fetch(`${base}/v2/alpine-test/manifests/latest`)).arrayBuffer();
    for (const layer of image.layers) assert.equal(sha256(await bytesOf(await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`))), layer.digest);
    const stats = upstream.hub.stats();
    // Anonymous token requests are the mirror asking whether a repository is public (private-image guard).
    assert.ok(stats.tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username));
    assert.ok(stats.tokenRequests.every((r) => r.username === DEFAULT_HUB_USER.username || r.username === null));
    assert.deepEqual(stats.requests.filter((r) => r.server === 'cdn' && r.authorization !== 'none'), []);
    assert.deepEqual(stats.requests.filter((r) => r.server === 'registry' && r.authorization === 'basic'), [], 'credentials go only to the token realm');
    const rateLimit = engine.status().rateLimit;
    assert.ok(rateLimit);
    assert.equal(rateLimit.source, DEFAULT_HUB_USER.username);
    assert.equal(rateLimit.windowSeconds, 21600);
  });

  test('testing credentials tells the account\'s limit, or that they were rejected, without a counted pull', async () => {
    const pulls = upstream.hub.countedPulls();
    const good = await testUpstreamCredentials(upstream.url, { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password }, 'library/alpine-test');
    assert.equal(good.rateLimit?.limit, 200);
    await assert.rejects(
      testUpstreamCredentials(upstream.url, { username: DEFAULT_HUB_USER.username, secret: 'wrong' }, 'library/alpine-test'),
      /rejected the credentials of dockmirror-tester/,
    );
    assert.equal(upstream.hub.countedPulls(), pulls);
  });

  test('the private image is served only to clients that logged in to the mirror', async (t) => {
    const credentials = { get: async () => ({ username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password }) };
    const open = await startMirror(t, { credentials });
    const refused = await fetch(`${open.base}/v2/dockmirror/private-test/manifests/1`);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DENIED');
    const publicImage = await fetch(`${open.base}/v2/alpine-test/manifests/latest`);
    assert.equal(publicImage.status, 200);

    const guarded = await startMirror(t, { credentials, clientAuth: { username: 'lan', password: 'mirror-pw' } });
    const anonymous = await fetch(`${guarded.base}/v2/dockmirror/private-test/manifests/1`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="Dockmirror"');
    const loggedIn = await fetch(`${guarded.base}/v2/dockmirror/private-test/manifests/1`, {
      headers: { authorization: `Basic ${Buffer.from('lan:mirror-pw').toString('base64')}` },
    });
    assert.equal(loggedIn.status, 200);
    assert.deepEqual(await bytesOf(loggedIn), upstream.images.privateImage.bytes);
  });
});

describe('cache size and contents', () => {
  test('the size cap evicts least recently used blobs: which went and which stayed', async (t) => {
    // Four 100 kB blobs against a 250 kB cap: the third and the fourth each push the cache over it.
    const cap = 250_000;
    const clock = { ms: Date.now() };
    const { base, engine, cacheDir } = await startMirror(t, { maxSizeBytes: cap, now: () => clock.ms });
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((name) => pushBlob(upstream.registry.url, 'dockmirror/lru', randomBytes(100_000))));
    const get = async (blob: { digest: string }): Promise<void> => {
      assert.equal(sha256(await bytesOf(await fetch(`${base}/v2/dockmirror/lru/blobs/${blob.digest}`))), blob.digest);
      clock.ms += 1_000;
    };
    const stored = async (): Promise<string[]> => {
      await waitFor(() => (engine.status().cache.bytes <= cap ? true : undefined), 'eviction to finish');
      const files = (await blobFiles(cacheDir)).map((file) => file.digest);
      assert.equal(engine.status().cache.blobs, files.length, 'the index and the disk agree');
      return files.sort();
    };
    await get(a!);
    await get(b!);
    // A use counts for LRU order once a minute at most: a later read of `a` makes `b` the oldest.
    clock.ms += 61_000;
    await get(a!);
    await get(c!);
    assert.deepEqual(await stored(), [a!.digest, c!.digest].sort(), 'b, the least recently used, went');
    await get(d!);
    assert.deepEqual(await stored(), [c!.digest, d!.digest].sort(), 'then a, now the least recently used');
    assert.ok(engine.status().cache.bytes <= cap);
  });

  test('listCache describes images; deleteImage removes a tag and only the blobs nothing else uses', async (t) => {
    const { base, engine, cacheDir } = await startMirror(t);
    for (const image of [upstream.images.sharedA, upstream.images.sharedB]) {
      await (await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`)).arrayBuffer();
      for (const blob of [image.config, ...image.layers]) await bytesOf(await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`));
    }
    const listed = await engine.listCache();
    assert.deepEqual(listed.map((r) => r.repository), ['dockmirror/shared-a', 'dockmirror/shared-b']);
    const imageA = listed[0]!.images[0]!;
    assert.equal(imageA.reference, '1');
    assert.equal(imageA.digest, upstream.images.sharedA.digest);
    const expectedBytes = upstream.images.sharedA.size + upstream.images.sharedA.config.size + upstream.images.sharedA.layers.reduce((s, l) => s + l.size, 0);
    assert.equal(imageA.bytes, expectedBytes);
    assert.deepEqual(listed.map((r) => r.registry), ['docker.io', 'docker.io'], 'listed by the name clients use, not the upstream address');
    await engine.deleteImage('docker.io', 'dockmirror/shared-a', '1');
    const hexes = new Set<string>();
    for (const prefix of await readdir(join(cacheDir, 'blobs', 'sha256'))) for (const hex of await readdir(join(cacheDir, 'blobs', 'sha256', prefix))) hexes.add(`sha256:${hex}`);
    assert.ok(hexes.has(upstream.images.sharedA.layers[0]!.digest), 'the shared layer stays for shared-b');
    assert.ok(!hexes.has(upstream.images.sharedA.layers[1]!.digest), "shared-a's own layer is gone");
    assert.deepEqual((await engine.listCache()).map((r) => r.repository), ['dockmirror/shared-b']);
  });
});

describe('observability', () => {
  test('request events, a pull summary, counters, /metrics and /healthz', async (t) => {
    const { base, engine, events } = await startMirror(t);
    const image = upstream.images.sharedB;
    const head = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { method: 'HEAD' });
    await (await fetch(`${base}/v2/${image.repository}/manifests/${head.headers.get('docker-content-digest')}`)).arrayBuffer();
    for (const blob of [image.config, ...image.layers]) await bytesOf(await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`));
    const pull = await waitFor(() => events.find((e): e is PullEvent => e.type === 'pull'), 'the pull summary', 3_000);
    assert.equal(pull.repository, image.repository);
    assert.equal(pull.reference, image.tag);
    assert.equal(pull.blobs, 1 + image.layers.length);
    assert.equal(pull.client, '127.0.0.1');
    assert.match(pull.summary, /^127\.0\.0\.1 pulled dockmirror\/shared-b:1 — 3 blobs, .+, 0 from cache, \d+\.\d s$/);
    const blobEvent = requests(events).find((e) => e.kind === 'blob')!;
    assert.equal(blobEvent.status, 200);
    assert.equal(blobEvent.cache, 'miss');
    assert.ok(blobEvent.bytes > 0);
    assert.ok(typeof blobEvent.upstreamMs === 'number');
    const counters = engine.status().counters;
    assert.equal(counters.upstreamPulls, 1, 'HEAD by tag + GET by digest is one counted pull');
    assert.equal(counters.pullsServed, 1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^dockmirror_upstream_pulls_total 1$/m);
    assert.match(metrics, /^dockmirror_cache_blobs \d+$/m);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });
});
