// The engine's registry API, its one upstream fetch per blob and its tag caching, against a real
// distribution behind the Docker Hub stand-in over real HTTP (test/support/engine-harness.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createMirror, defaultTagTtlMs } from '../../mirror/index.js';
import { sha256 } from '../support/images.js';
import { bytesOf, engineHarness, requests, waitFor } from '../support/engine-harness.js';

const harness = engineHarness();
const { startMirror, blobGets, bytesSent } = harness;

describe('registry API', () => {
  test('GET /v2/ answers 200 with the API version header', async (t) => {
    const { base } = await startMirror(t);
    const response = await fetch(`${base}/v2/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('manifests by tag and digest are the exact upstream bytes with their headers', async (t) => {
    const { base } = await startMirror(t);
    for (const image of [harness.upstream.images.alpine, harness.upstream.images.multi]) {
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
    const child = harness.upstream.images.multi.manifests[0]!;
    const byDigest = await fetch(`${base}/v2/library/multi-test/manifests/${child.digest}`);
    assert.deepEqual(await bytesOf(byDigest), child.bytes);
    assert.equal(byDigest.headers.get('content-type'), child.mediaType);
  });

  test('blobs in full, by range (206) and out of range (416)', async (t) => {
    const { base } = await startMirror(t);
    const layer = harness.upstream.images.alpine.layers[1]!;
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
    const layer = harness.upstream.images.sharedB.layers[1]!;
    harness.upstream.hub.injectBlobFault(layer.digest, { kind: 'delay', ms: 300 }, 1);
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
    const layer = harness.upstream.images.alpine.layers[1]!;
    harness.upstream.hub.injectBlobFault(layer.digest, { kind: 'delay', ms: 200 }, 1);
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
    const shared = harness.upstream.images.sharedA.layers[0]!;
    assert.equal(shared.digest, harness.upstream.images.sharedB.layers[0]!.digest, 'the fixtures share this layer');
    await bytesOf(await fetch(`${base}/v2/dockmirror/shared-a/blobs/${shared.digest}`));
    const gets = blobGets(shared.digest);
    const heads = harness.upstream.hub.stats().blobHeads[shared.digest] ?? 0;
    const forB = await fetch(`${base}/v2/dockmirror/shared-b/blobs/${shared.digest}`);
    assert.equal(sha256(await bytesOf(forB)), shared.digest);
    assert.equal(blobGets(shared.digest), gets, 'no second download');
    assert.equal((harness.upstream.hub.stats().blobHeads[shared.digest] ?? 0) - heads, 1, 'one HEAD confirmed shared-b has it');
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
    const repo = harness.upstream.images.sharedA.repository;
    await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    const gets = harness.upstream.hub.stats().manifestGets[repo] ?? 0;
    const heads = harness.upstream.hub.stats().manifestHeads[repo] ?? 0;
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    clock.ms += defaultTagTtlMs - 1;
    await (await fetch(`${base}/v2/${repo}/manifests/1`)).arrayBuffer();
    assert.equal(harness.upstream.hub.stats().manifestGets[repo] ?? 0, gets);
    assert.equal(harness.upstream.hub.stats().manifestHeads[repo] ?? 0, heads, 'the last millisecond of the TTL still costs nothing');
    clock.ms += 2;
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/v2/${repo}/manifests/1`).then(bytesOf)));
    for (const body of concurrent) assert.deepEqual(body, harness.upstream.images.sharedA.bytes);
    assert.equal((harness.upstream.hub.stats().manifestHeads[repo] ?? 0) - heads, 1, 'concurrent revalidations share one HEAD');
    assert.equal(harness.upstream.hub.stats().manifestGets[repo] ?? 0, gets, 'an unchanged digest is not fetched again');
  });

  test('a tag that moved upstream is fetched again after the TTL', async (t) => {
    const { pushImage } = await import('../support/images.js');
    const clock = { ms: Date.now() };
    const { base } = await startMirror(t, { tagTtlMs: 200, now: () => clock.ms });
    const first = await pushImage(harness.upstream.registry.url, { repository: 'dockmirror/moving', tag: 'v', layers: [[{ path: '/a.txt', content: 'one\n' }]] });
    assert.equal((await fetch(`${base}/v2/dockmirror/moving/manifests/v`)).headers.get('docker-content-digest'), first.digest);
    const second = await pushImage(harness.upstream.registry.url, { repository: 'dockmirror/moving', tag: 'v', layers: [[{ path: '/a.txt', content: 'two\n' }]] });
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
    const first = createMirror({ cacheDir, upstream: harness.upstream.url, minFreeBytes: 0 });
    const { port } = await first.start({ host: '127.0.0.1', port: 0 });
    await (await fetch(`http://127.0.0.1:${port}/v2/alpine-test/manifests/latest`)).arrayBuffer();
    await first.stop();
    const requestsBefore = harness.upstream.hub.stats().requests.length;
    const { base } = await startMirror(t, {}, cacheDir);
    const again = await fetch(`${base}/v2/alpine-test/manifests/latest`);
    assert.deepEqual(await bytesOf(again), harness.upstream.images.alpine.bytes);
    assert.equal(harness.upstream.hub.stats().requests.length, requestsBefore, 'answered from the store alone');
  });
});

