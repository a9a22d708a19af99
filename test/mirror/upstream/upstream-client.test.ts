// UpstreamClient against the counting Hub stand-in: what each call costs upstream (pulls counted,
// tokens asked for), that blob bytes come from the CDN without the registry's token, and the
// translation of upstream answers into the mirror's own errors.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { RegistryError } from '../../../mirror/errors.js';
import { UpstreamClient } from '../../../mirror/upstream/client.js';
import { pushBlob, sha256 } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

function client(t: { after: (fn: () => Promise<void>) => void }): UpstreamClient {
  const created = new UpstreamClient({ baseUrl: new URL(upstream.url), retryDelaysMs: [0] });
  t.after(() => created.close());
  return created;
}

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function isCode(code: string): (error: unknown) => boolean {
  return (error) => error instanceof RegistryError && error.code === code;
}

test('a manifest HEAD is not a counted pull, a GET is one; both reuse one token', async (t) => {
  const upstreamClient = client(t);
  const image = upstream.images.sharedB;
  const pulls = upstream.hub.countedPulls(image.repository);
  const tokens = upstream.hub.stats().tokenRequests.length;
  const head = await upstreamClient.manifest('HEAD', image.repository, image.tag!);
  assert.equal(head.digest, image.digest);
  assert.equal(head.body, undefined);
  assert.equal(upstream.hub.countedPulls(image.repository), pulls, 'a HEAD is free');
  const got = await upstreamClient.manifest('GET', image.repository, image.tag!);
  assert.deepEqual(got.body, image.bytes);
  assert.equal(got.mediaType, image.mediaType);
  assert.equal(upstream.hub.countedPulls(image.repository), pulls + 1);
  assert.equal(upstream.hub.stats().tokenRequests.length - tokens, 1, 'one token for both requests');
});

test('a blob comes from the CDN without the registry token; its size from a HEAD; a range as asked', async (t) => {
  const upstreamClient = client(t);
  const data = randomBytes(256 * 1024);
  const { digest } = await pushBlob(upstream.registry.url, 'dockmirror/upstream-client', data);
  const sentBefore = upstream.hub.stats().blobBytesSent[digest] ?? 0;
  assert.equal(await upstreamClient.blobSize('dockmirror/upstream-client', digest), data.length);
  assert.equal((upstream.hub.stats().blobBytesSent[digest] ?? 0) - sentBefore, 0, 'the size cost no blob bytes');

  const whole = await upstreamClient.blob('dockmirror/upstream-client', digest);
  assert.equal(sha256(await readAll(whole.body)), digest);
  const cdn = upstream.hub.stats().requests.filter((r) => r.server === 'cdn' && r.url.includes(digest.slice(7, 20)));
  assert.ok(cdn.length > 0, 'the blob was fetched from the CDN');
  assert.ok(cdn.every((r) => r.authorization === 'none'), 'the registry token never went to the CDN');

  const ranged = await upstreamClient.blob('dockmirror/upstream-client', digest, 1000, 1999);
  assert.equal(ranged.status, 206);
  assert.deepEqual(await readAll(ranged.body), data.subarray(1000, 2000));
});

test('unknown blobs and manifests are BLOB_UNKNOWN and MANIFEST_UNKNOWN; a gone upstream is UNAVAILABLE', async (t) => {
  const upstreamClient = client(t);
  const missing = `sha256:${'0'.repeat(64)}`;
  await assert.rejects(upstreamClient.blob('library/alpine-test', missing), isCode('BLOB_UNKNOWN'));
  await assert.rejects(upstreamClient.blobSize('library/alpine-test', missing), isCode('BLOB_UNKNOWN'));
  await assert.rejects(upstreamClient.manifest('GET', 'library/alpine-test', 'no-such-tag'), isCode('MANIFEST_UNKNOWN'));
  await upstream.hub.setDown('refuse');
  t.after(() => upstream.hub.setDown(false));
  await assert.rejects(upstreamClient.manifest('HEAD', 'library/alpine-test', 'latest'), isCode('UNAVAILABLE'));
});
