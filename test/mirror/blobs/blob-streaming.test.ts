// The blob streaming internals for real: the in-memory tail of a running download, the batched
// appender on a real file, and a late joiner that has to stitch the temp file and the in-memory
// tail together while the upstream is held half way and then resumed.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobAppender } from '../../../mirror/blobs/blob-appender.js';
import { RecentChunks } from '../../../mirror/blobs/recent-chunks.js';
import { createMirror } from '../../../mirror/index.js';
import { pushRandomImage, type PushedImageManifest } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const MiB = 1024 * 1024;
let upstream: TestUpstream;
let image: PushedImageManifest;

before(async () => {
  upstream = await startTestUpstream();
  image = await pushRandomImage(upstream.registry.url, { repository: 'dockmirror/streaming', tag: '1', sizeBytes: 8 * MiB });
});

after(async () => {
  await upstream?.close();
});

test('the in-memory tail keeps every unwritten chunk, drops written ones beyond its cap, and slices within one chunk', () => {
  const recent = new RecentChunks(10);
  for (const text of ['abcd', 'efgh', 'ijkl']) recent.push(Buffer.from(text));
  assert.equal(recent.end, 12);
  assert.equal(recent.slice(5, 12)?.toString(), 'fgh', 'a slice never crosses a chunk boundary');
  assert.equal(recent.slice(5, 6)?.toString(), 'f', 'nor the limit');
  assert.equal(recent.slice(12, 20), undefined, 'nothing past what was received');
  recent.trim(0);
  assert.equal(recent.bytes, 12, 'chunks not yet in the file stay, whatever the cap');
  recent.trim(8);
  assert.equal(recent.bytes, 8, 'the oldest written chunk goes once over the cap');
  assert.equal(recent.slice(0, 12), undefined);
  assert.equal(recent.slice(4, 12)?.toString(), 'efgh');
  recent.trim(12);
  assert.equal(recent.bytes, 8, 'at the cap nothing more goes');
});

test('the appender writes many chunks in order at the right offset and reports every byte once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-appender-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'blob.part');
  const file = await open(path, 'w');
  await file.write(Buffer.from('prefix'), 0, 6, 0);
  let reported = 0;
  const appender = new BlobAppender(file, 6, (bytes) => (reported += bytes), (error) => assert.fail(String(error)));
  const chunks = Array.from({ length: 700 }, (_, i) => randomBytes(1 + ((i * 997) % 5000)));
  for (const chunk of chunks) appender.append(chunk);
  assert.ok(appender.pending > 0, 'appends return before the disk has the bytes');
  await appender.flushed();
  await file.close();
  const expected = Buffer.concat([Buffer.from('prefix'), ...chunks]);
  assert.equal(reported, expected.length - 6);
  assert.equal(appender.pending, 0);
  assert.deepEqual(await readFile(path), expected);
});

test('a late joiner while the upstream is held half way gets the exact blob, as do a range reader and the first client, from one fetch plus one resume', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-streaming-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const engine = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, httpTimeouts: { upstreamIdleMs: 1_000 } });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  const layer = image.layers[0]!;
  const url = `http://127.0.0.1:${port}/v2/${image.repository}/blobs/${layer.digest}`;
  const heldAt = 5 * MiB;
  upstream.hub.resetStats();
  upstream.hub.injectBlobFault(layer.digest, { kind: 'hold', afterBytes: heldAt }, 1);

  const first = await fetch(url);
  assert.equal(first.status, 200);
  const reader = first.body!.getReader();
  const firstChunks: Uint8Array[] = [];
  let firstBytes = 0;
  // Far enough that the start of the blob is only in the temp file, no longer in memory.
  while (firstBytes < heldAt - 64 * 1024) {
    const { value, done } = await reader.read();
    assert.ok(!done && value, 'the first client got its bytes while the upstream still sent');
    firstChunks.push(value);
    firstBytes += value.length;
  }
  const [late, ranged] = await Promise.all([
    fetch(url).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) })),
    fetch(url, { headers: { range: `bytes=1000-${heldAt + MiB}` } }).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) })),
  ]);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    firstChunks.push(value);
  }
  const whole = Buffer.concat(firstChunks);
  const digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  assert.equal(digest(whole), layer.digest);
  assert.equal(late.status, 200);
  assert.equal(digest(late.body), layer.digest);
  assert.equal(ranged.status, 206);
  assert.deepEqual(ranged.body, whole.subarray(1000, heldAt + MiB + 1));
  assert.equal(upstream.hub.stats().blobBytesSent[layer.digest], layer.size, 'the resume asked only for the rest');
});
