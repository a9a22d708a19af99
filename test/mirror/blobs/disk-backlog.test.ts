// How far a download's disk may fall behind its upstream before the upstream is paused: 4 MiB
// for a lone download with one reader (1 MiB paused a cold pull ~300 times per 256 MiB on a busy
// machine), shared between downloads and between one download's readers, never below 1 MiB.
// (download-reader.test.ts checks the reader count this is given.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskBacklogBytes } from '../../../mirror/blobs/blob-download.js';

const MiB = 1024 * 1024;

test('a lone download with one reader may run 4 MiB ahead of its disk; more downloads or readers share that, down to 1 MiB', () => {
  assert.equal(diskBacklogBytes(1, 1), 4 * MiB);
  assert.equal(diskBacklogBytes(1, 0), 4 * MiB, 'a download nobody reads any more keeps the lone slack');
  assert.equal(diskBacklogBytes(2, 1), 4 * MiB, 'two downloads share 8 MiB');
  assert.equal(diskBacklogBytes(4, 1), 2 * MiB);
  assert.equal(diskBacklogBytes(1, 2), 2 * MiB, 'two readers of one download share its 4 MiB');
  assert.equal(diskBacklogBytes(1, 8), MiB, 'eight readers: the floor');
  assert.equal(diskBacklogBytes(64, 1), MiB, 'never below 1 MiB');
});
