// How far a download's disk may fall behind its upstream before the upstream is paused: 4 MiB
// for a lone download with one reader (1 MiB paused a cold pull ~300 times per 256 MiB on a busy
// machine), shared between downloads and between one download's readers, never below 1 MiB.
// The readers a download counts are the clients reading it now.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { diskBacklogBytes } from '../../../mirror/blobs/blob-download.js';
import { isChunkSource } from '../../../mirror/blobs/chunk-source.js';
import { pushBlob, sha256 } from '../../support/images.js';
import { readBody, startServices } from '../../support/services.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const MiB = 1024 * 1024;
let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('a lone download with one reader may run 4 MiB ahead of its disk; more downloads or readers share that, down to 1 MiB', () => {
  assert.equal(diskBacklogBytes(1, 1), 4 * MiB);
  assert.equal(diskBacklogBytes(1, 0), 4 * MiB, 'a download nobody reads any more keeps the lone slack');
  assert.equal(diskBacklogBytes(2, 1), 4 * MiB, 'two downloads share 8 MiB');
  assert.equal(diskBacklogBytes(4, 1), 2 * MiB);
  assert.equal(diskBacklogBytes(1, 2), 2 * MiB, 'two readers of one download share its 4 MiB');
  assert.equal(diskBacklogBytes(1, 8), MiB, 'eight readers: the floor');
  assert.equal(diskBacklogBytes(64, 1), MiB, 'never below 1 MiB');
});

test('a download counts the clients reading it: in when they open, out once when they close', async (t) => {
  const services = await startServices(t, upstream.url);
  const data = randomBytes(4 * MiB);
  const { digest } = await pushBlob(upstream.registry.url, 'dockmirror/disk-backlog', data);
  const first = await services.blobs.open({ repository: 'dockmirror/disk-backlog', digest, method: 'GET' });
  const second = await services.blobs.open({ repository: 'dockmirror/disk-backlog', digest, method: 'GET' });
  const download = services.blobs.running(digest);
  assert.ok(download, 'the blob is being downloaded');
  assert.ok(isChunkSource(first.reader) && isChunkSource(second.reader));
  assert.equal(download.readers, 2);
  await first.reader.close();
  await first.reader.close();
  first.release();
  assert.equal(download.readers, 1, 'a second close does not count the reader out twice');
  assert.equal(sha256(await readBody(second.reader)), digest);
  second.release();
  assert.equal(download.readers, 0);
  await services.blobs.settle();
});
