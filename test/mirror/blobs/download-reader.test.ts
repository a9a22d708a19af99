// A reader of a running download asks for its own descriptor on the temp file at once but waits
// for it only when it must read the file (it keeps the first byte off libuv's queue). That must
// not leak descriptors: a reader closed before it read anything, or before its open finished,
// still closes the descriptor it was given, and readers that read the whole blob get it intact.
// A download also counts its readers (its disk backlog is shared between them), each once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readlink } from 'node:fs/promises';
import { after, before, test, type TestContext } from 'node:test';
import { isChunkSource } from '../../../mirror/blobs/chunk-source.js';
import { pushBlob, sha256 } from '../../support/images.js';
import { readBody, startServices } from '../../support/services.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const repository = 'dockmirror/download-reader';
let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

/** This process's open descriptors on files under `dir`. */
async function descriptorsUnder(dir: string): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(dir));
}

/** Services over the stand-in upstream, which holds a fresh random blob of `bytes`; `open` asks for it whole. */
async function coldBlob(t: TestContext, bytes: number) {
  const services = await startServices(t, upstream.url);
  const { digest } = await pushBlob(upstream.registry.url, repository, randomBytes(bytes));
  return { services, digest, open: () => services.blobs.open({ repository, digest, method: 'GET' }) };
}

test('readers of a cold blob closed before reading, or right away, leave no descriptor open; one that reads gets the blob', async (t) => {
  const { services, digest, open } = await coldBlob(t, 8 * 1024 * 1024);
  const first = await open();
  const idle = await open();
  const reading = await open();
  assert.ok(isChunkSource(first.reader) && isChunkSource(idle.reader));
  // Closed in the same turn its open was asked for: the open has not finished yet.
  await first.reader.close();
  first.release();
  const bytes = await readBody(reading.reader);
  reading.release();
  assert.equal(sha256(bytes), digest, 'the reading client got the whole blob, verified');
  await idle.reader.close();
  idle.release();
  await services.blobs.settle();
  assert.deepEqual(await descriptorsUnder(services.cacheDir), [], 'no descriptor left on the cache');
});

test('a download counts the clients reading it: in when they open, out once when they close', async (t) => {
  const { services, digest, open } = await coldBlob(t, 4 * 1024 * 1024);
  const first = await open();
  const second = await open();
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
