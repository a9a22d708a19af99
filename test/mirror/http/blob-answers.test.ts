// What a client sees over HTTP for the ways of asking for an uncached blob: the handler maps the
// blob service's ready body to status and headers, and the Hub stand-in counts the cost.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror } from '../../../mirror/index.js';
import { pushBlob, sha256 } from '../../support/images.js';
import { blobFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('HEAD and a 1 KiB Range on an uncached blob: the right headers and bytes, a HEAD and the range upstream; then a full GET', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-blob-answers-'));
  const engine = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await engine.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });
  const data = randomBytes(4 * 1024 * 1024);
  const { digest } = await pushBlob(upstream.registry.url, 'dockmirror/blob-answers', data);
  const url = `http://127.0.0.1:${port}/v2/dockmirror/blob-answers/blobs/${digest}`;
  const sent = () => upstream.hub.stats().blobBytesSent[digest] ?? 0;

  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(data.length));
  assert.equal(head.headers.get('docker-content-digest'), digest);
  assert.equal(head.headers.get('accept-ranges'), 'bytes');
  assert.equal(sent(), 0, 'a HEAD fetched no blob bytes');

  const ranged = await fetch(url, { headers: { range: 'bytes=0-1023' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-range'), `bytes 0-1023/${data.length}`);
  assert.equal(ranged.headers.get('content-length'), '1024');
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(0, 1024));
  assert.ok(sent() <= 2048, `the upstream sent ${sent()} bytes for HEAD plus a 1 KiB range`);
  assert.deepEqual(await blobFiles(cacheDir), [], 'nothing stored');

  const full = await fetch(url);
  assert.equal(full.status, 200);
  assert.equal(sha256(Buffer.from(await full.arrayBuffer())), digest);
  assert.equal(engine.status().cache.blobs, 1, 'the full GET stored the blob');
});
