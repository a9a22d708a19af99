// The engine when the upstream fails, with credentials, at its size cap and in what it tells
// (events, metrics), against a real distribution behind the Docker Hub stand-in over real HTTP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { testUpstreamCredentials, type PullEvent } from '../../mirror/index.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { pushBlob, sha256, type PushedImageManifest } from '../support/images.js';
import { blobFiles } from '../support/store-files.js';
import { bytesOf, engineHarness, requests, waitFor } from '../support/engine-harness.js';

const harness = engineHarness();
const { startMirror } = harness;

describe('when the upstream fails', () => {
  test('unreachable: cached tags and blobs are served stale; uncached requests fail fast with 503', async (t) => {
    const { base, engine, events } = await startMirror(t, { tagTtlMs: 1 });
    const image = harness.upstream.images.sharedA;
    await (await fetch(`${base}/v2/${image.repository}/manifests/1`)).arrayBuffer();
    await bytesOf(await fetch(`${base}/v2/${image.repository}/blobs/${image.layers[1]!.digest}`));
    await harness.upstream.hub.setDown('refuse');
    t.after(() => harness.upstream.hub.setDown(false));
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
    harness.upstream.hub.resetRateLimits({ anonymous: 0 });
    t.after(() => harness.upstream.hub.resetRateLimits({ anonymous: 100 }));
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
    const layer = harness.upstream.images.multi.manifests[1]!.layers[0]!;
    harness.upstream.hub.injectBlobFault(layer.digest, { kind: 'cut', afterBytes: Math.floor(layer.size / 2) }, 1);
    const body = await bytesOf(await fetch(`${base}/v2/library/multi-test/blobs/${layer.digest}`));
    assert.equal(sha256(body), layer.digest);
    const hex = layer.digest.slice('sha256:'.length);
    const cdn = harness.upstream.hub.stats().requests.filter((r) => r.server === 'cdn' && r.url.includes(hex));
    assert.equal(cdn.length, 2, 'cut once, resumed once');
  });

  test('bytes that do not match the digest are never stored, and the client never gets a complete transfer', async (t) => {
    const { base, engine } = await startMirror(t);
    const layer = harness.upstream.images.multi.manifests[0]!.layers[0]!;
    harness.upstream.hub.injectBlobFault(layer.digest, { kind: 'corrupt' }, 5);
    t.after(() => harness.upstream.hub.clearFaults());
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
    harness.upstream.hub.resetStats();
    const image = harness.upstream.images.alpine as PushedImageManifest;
    await (await fetch(`${base}/v2/alpine-test/manifests/latest`)).arrayBuffer();
    for (const layer of image.layers) assert.equal(sha256(await bytesOf(await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`))), layer.digest);
    const stats = harness.upstream.hub.stats();
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
    const pulls = harness.upstream.hub.countedPulls();
    const good = await testUpstreamCredentials(harness.upstream.url, { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password }, 'library/alpine-test');
    assert.equal(good.rateLimit?.limit, 200);
    await assert.rejects(
      testUpstreamCredentials(harness.upstream.url, { username: DEFAULT_HUB_USER.username, secret: 'wrong' }, 'library/alpine-test'),
      /rejected the credentials of dockmirror-tester/,
    );
    assert.equal(harness.upstream.hub.countedPulls(), pulls);
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
    assert.deepEqual(await bytesOf(loggedIn), harness.upstream.images.privateImage.bytes);
  });
});

describe('cache size and contents', () => {
  test('the size cap evicts least recently used blobs: which went and which stayed', async (t) => {
    // Four 100 kB blobs against a 250 kB cap: the third and the fourth each push the cache over it.
    const cap = 250_000;
    const clock = { ms: Date.now() };
    const { base, engine, cacheDir } = await startMirror(t, { maxSizeBytes: cap, now: () => clock.ms });
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((name) => pushBlob(harness.upstream.registry.url, 'dockmirror/lru', randomBytes(100_000))));
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
    for (const image of [harness.upstream.images.sharedA, harness.upstream.images.sharedB]) {
      await (await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`)).arrayBuffer();
      for (const blob of [image.config, ...image.layers]) await bytesOf(await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`));
    }
    const listed = await engine.listCache();
    assert.deepEqual(listed.map((r) => r.repository), ['dockmirror/shared-a', 'dockmirror/shared-b']);
    const imageA = listed[0]!.images[0]!;
    assert.equal(imageA.reference, '1');
    assert.equal(imageA.digest, harness.upstream.images.sharedA.digest);
    const expectedBytes = harness.upstream.images.sharedA.size + harness.upstream.images.sharedA.config.size + harness.upstream.images.sharedA.layers.reduce((s, l) => s + l.size, 0);
    assert.equal(imageA.bytes, expectedBytes);
    assert.deepEqual(listed.map((r) => r.registry), ['docker.io', 'docker.io'], 'listed by the name clients use, not the upstream address');
    await engine.deleteImage('docker.io', 'dockmirror/shared-a', '1');
    const hexes = new Set<string>();
    for (const prefix of await readdir(join(cacheDir, 'blobs', 'sha256'))) for (const hex of await readdir(join(cacheDir, 'blobs', 'sha256', prefix))) hexes.add(`sha256:${hex}`);
    assert.ok(hexes.has(harness.upstream.images.sharedA.layers[0]!.digest), 'the shared layer stays for shared-b');
    assert.ok(!hexes.has(harness.upstream.images.sharedA.layers[1]!.digest), "shared-a's own layer is gone");
    assert.deepEqual((await engine.listCache()).map((r) => r.repository), ['dockmirror/shared-b']);
  });
});

describe('observability', () => {
  test('request events, a pull summary, counters, /metrics and /healthz', async (t) => {
    const { base, engine, events } = await startMirror(t);
    const image = harness.upstream.images.sharedB;
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
