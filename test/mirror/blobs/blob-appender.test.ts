// The temp-file appender against a real file: 64 KiB socket reads go to the disk in batches (one
// pool round trip per batch, not per read), a slow trickle still reaches the file without the
// body ending, and whatever is queued when the body ends is written before flushed() resolves.
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobAppender, batchBytes } from '../../../mirror/blobs/blob-appender.js';

const chunkBytes = 64 * 1024;

/** The real file handle, with its writev calls counted. */
function counted(file: FileHandle): { file: FileHandle; writes: () => number } {
  let writes = 0;
  const proxy = new Proxy(file, {
    get(target, key) {
      if (key === 'writev') {
        return (buffers: Buffer[], position: number) => {
          writes++;
          return target.writev(buffers, position);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { file: proxy, writes: () => writes };
}

async function withFile(run: (file: FileHandle, path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-appender-'));
  const path = join(dir, 'blob');
  const file = await open(path, 'w');
  try {
    await run(file, path);
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function chunk(index: number): Buffer {
  return Buffer.alloc(chunkBytes, index % 251);
}

test('64 KiB reads arriving one by one are written in batches, and the file holds them all in order', async () => {
  await withFile(async (raw, path) => {
    const { file, writes } = counted(raw);
    let written = 0;
    const appender = new BlobAppender(file, 0, (bytes) => (written += bytes), (error) => assert.fail(String(error)));
    const count = 64;
    // Each read on its own turn of the event loop, as a socket delivers them.
    for (let index = 0; index < count; index++) {
      appender.append(chunk(index));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await appender.flushed();
    assert.equal(written, count * chunkBytes);
    // One write per read would be 64; batches of batchBytes make it at most a quarter of that.
    assert.ok(writes() <= (count * chunkBytes) / batchBytes + 2, `${writes()} writes for ${count} reads`);
    assert.deepEqual(await readFile(path), Buffer.concat(Array.from({ length: count }, (_, index) => chunk(index))));
  });
});

test('a trickle smaller than a batch still reaches the file while the body goes on', async () => {
  await withFile(async (file, path) => {
    const reachedFile = new Promise<number>((resolve) => {
      const appender = new BlobAppender(file, 0, resolve, (error) => assert.fail(String(error)));
      appender.append(Buffer.from('a few bytes'));
    });
    assert.equal(await reachedFile, 'a few bytes'.length);
    assert.equal(await readFile(path, 'utf8'), 'a few bytes');
  });
});

test('what is queued when the body ends is written before flushed() resolves, after the offset it started at', async () => {
  await withFile(async (file, path) => {
    await file.write(Buffer.from('prefix'), 0, 6, 0);
    let written = 0;
    const appender = new BlobAppender(file, 6, (bytes) => (written += bytes), (error) => assert.fail(String(error)));
    appender.append(Buffer.from('-tail'));
    await appender.flushed();
    assert.equal(written, 5);
    assert.equal(await readFile(path, 'utf8'), 'prefix-tail');
  });
});
