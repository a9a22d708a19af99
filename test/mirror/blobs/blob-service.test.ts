// BlobService on a real store in a temp folder against the counting Hub stand-in: what each way
// of asking for a blob costs the upstream, and what ends up stored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { pushBlob, sha256 } from '../../support/images.js';
import { readBody, startServices } from '../../support/services.js';
import { blobFiles, tempFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const MiB = 1024 * 1024;
const repository = 'dockmirror/blob-service';
let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

/** A fresh 4 MiB blob nobody has fetched yet, with the upstream's counters for it. */
async function freshBlob(): Promise<{ data: Buffer; digest: string; sent: () => number; gets: () => number; heads: () => number }> {
  const data = randomBytes(4 * MiB);
  const { digest } = await pushBlob(upstream.registry.url, repository, data);
  const stats = () => upstream.hub.stats();
  return {
    data,
    digest,
    sent: () => stats().blobBytesSent[digest] ?? 0,
    gets: () => stats().blobGets[digest] ?? 0,
    heads: () => stats().blobHeads[digest] ?? 0,
  };
}

test('a HEAD on an uncached blob asks the upstream with a HEAD: its size, no blob bytes, nothing stored', async (t) => {
  const services = await startServices(t, upstream.url);
  const blob = await freshBlob();
  const body = await services.blobs.open({ repository, digest: blob.digest, method: 'HEAD' });
  body.release();
  assert.equal(body.size, blob.data.length);
  assert.equal(body.reader, undefined);
  assert.equal(body.cache, 'miss');
  assert.equal(blob.heads(), 1);
  assert.equal(blob.gets(), 0, 'no GET reached the upstream');
  assert.equal(blob.sent(), 0, 'no blob byte was fetched');
  await services.blobs.settle();
  assert.deepEqual(await blobFiles(services.cacheDir), [], 'nothing stored');
  const ranged = await services.blobs.open({ repository, digest: blob.digest, method: 'HEAD', range: 'bytes=10-19' });
  assert.deepEqual(ranged.range, { start: 10, end: 19 }, 'a HEAD with a Range says what a GET would send');
});

test('a 1 KiB range of an uncached 4 MiB blob costs the upstream that range; a later full GET is whole, verified and stored', async (t) => {
  const services = await startServices(t, upstream.url);
  const blob = await freshBlob();
  const body = await services.blobs.open({ repository, digest: blob.digest, method: 'GET', range: 'bytes=0-1023' });
  assert.deepEqual(body.range, { start: 0, end: 1023 });
  assert.equal(body.size, blob.data.length);
  const bytes = await readBody(body.reader);
  body.release();
  assert.deepEqual(bytes, blob.data.subarray(0, 1024));
  await services.blobs.settle();
  assert.ok(blob.sent() >= 1024 && blob.sent() <= 2048, `the upstream sent ${blob.sent()} bytes for a 1 KiB range`);
  assert.deepEqual(await blobFiles(services.cacheDir), [], 'a range stores nothing');
  assert.deepEqual(await tempFiles(services.cacheDir), [], 'and leaves no temp file');

  const full = await services.blobs.open({ repository, digest: blob.digest, method: 'GET' });
  assert.equal(full.range, null);
  const whole = await readBody(full.reader);
  full.release();
  assert.equal(sha256(whole), blob.digest);
  await services.blobs.settle();
  const stored = await blobFiles(services.cacheDir);
  assert.deepEqual(stored.map((file) => file.digest), [blob.digest], 'the full GET stored the verified blob');
  assert.equal(stored[0]!.size, blob.data.length);
});

test('a small range while a full download runs is served from that download, at no extra upstream cost', async (t) => {
  const services = await startServices(t, upstream.url, { idleMs: 500 });
  const blob = await freshBlob();
  // The first GET stalls after 1 MiB, so the download is still running when the range arrives.
  upstream.hub.injectBlobFault(blob.digest, { kind: 'hold', afterBytes: MiB }, 1);
  t.after(() => upstream.hub.clearFaults());
  const full = await services.blobs.open({ repository, digest: blob.digest, method: 'GET' });
  const ranged = await services.blobs.open({ repository, digest: blob.digest, method: 'GET', range: 'bytes=100-1123' });
  assert.equal(ranged.cache, 'coalesced');
  assert.deepEqual(await readBody(ranged.reader), blob.data.subarray(100, 1124));
  ranged.release();
  assert.equal(sha256(await readBody(full.reader)), blob.digest);
  full.release();
  await services.blobs.settle();
  assert.equal(blob.sent(), blob.data.length, 'the upstream sent the blob once, and no range beside it');
});

test('a large or open-ended range downloads and stores the whole blob, as before', async (t) => {
  const services = await startServices(t, upstream.url);
  const blob = await freshBlob();
  const body = await services.blobs.open({ repository, digest: blob.digest, method: 'GET', range: `bytes=${MiB}-` });
  assert.deepEqual(await readBody(body.reader), blob.data.subarray(MiB));
  body.release();
  await services.blobs.settle();
  assert.deepEqual((await blobFiles(services.cacheDir)).map((file) => file.digest), [blob.digest]);
});
