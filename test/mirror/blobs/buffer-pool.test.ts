// The send-buffer pool's budget: buffers lent to streams whose clients stopped reading are never
// given back, and whatever order the streams come in, what they pin stays within the budget plus
// one small buffer per stream. Before the budget counted lent bytes, the first streams of a crowd
// took 1 MiB buffers that later streams' smaller shares could not take back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool, type PoolStream } from '../../../mirror/blobs/buffer-pool.js';

const MiB = 1024 * 1024;
const budget = 4 * MiB;
const crowdedBuffer = 16 * 1024;
const spentBudgetBuffer = 4 * 1024;

/** A stream whose client never reads: takes its whole allowance, and none of it comes back. */
function stall(stream: PoolStream): number {
  const { size, count } = stream.allowance();
  for (let i = 0; i < count; i++) stream.take(size);
  return size * count;
}

test('streams that arrive one by one and stall pin at most the budget plus 16 KiB each', () => {
  const pool = new BufferPool(budget, 8 * MiB);
  const streams = Array.from({ length: 200 }, () => {
    const stream = pool.open();
    stall(stream);
    return stream;
  });
  assert.ok(pool.lentNow <= budget + streams.length * crowdedBuffer, `lent ${pool.lentNow} bytes`);
  // The first one, alone, got the fast path's four 1 MiB buffers.
  assert.ok(pool.lentNow >= budget, `lent ${pool.lentNow} bytes`);
});

test('a lone stream gets four 1 MiB buffers; eight get two of 256 KiB each', () => {
  const pool = new BufferPool(budget, 8 * MiB);
  const lone = pool.open();
  assert.deepEqual(lone.allowance(), { size: MiB, count: 4 });
  lone.close();
  const eight = Array.from({ length: 8 }, () => pool.open());
  for (const stream of eight) stall(stream);
  for (const stream of eight) assert.deepEqual(stream.allowance(), { size: 256 * 1024, count: 2 });
});

test('a stream that arrives while stalled streams hold the budget gets one 4 KiB buffer, and more once they go', () => {
  const pool = new BufferPool(budget, 8 * MiB);
  const stalled = pool.open();
  stall(stalled);
  const late = pool.open();
  assert.deepEqual(late.allowance(), { size: spentBudgetBuffer, count: 1 });
  // The stalled stream's socket was destroyed (send timeout): its buffers stop counting.
  stalled.close();
  assert.equal(pool.lentNow, 0);
  assert.deepEqual(late.allowance(), { size: MiB, count: 4 });
});

test('a crowd of streams still reading shares the budget in 16 KiB buffers; past 256 of them, or once stalled ones spent it, 4 KiB', () => {
  const pool = new BufferPool(budget, 8 * MiB);
  const hundred = Array.from({ length: 100 }, () => pool.open());
  assert.deepEqual(hundred[0]!.allowance(), { size: crowdedBuffer, count: 2 });
  const more = Array.from({ length: 200 }, () => pool.open());
  assert.equal(more[0]!.allowance().size, spentBudgetBuffer);
  // 1,500 stalled one by one: the crowd pins the budget plus 4 KiB each, not 16 KiB each.
  for (const stream of [...hundred, ...more]) stream.close();
  const crowd = Array.from({ length: 1500 }, () => {
    const stream = pool.open();
    stall(stream);
    return stream;
  });
  assert.ok(pool.lentNow <= budget + crowd.length * spentBudgetBuffer, `lent ${pool.lentNow} bytes`);
});

test('buffers given back are reused; buffers of a closed stream are never handed out again', () => {
  const pool = new BufferPool(budget, 8 * MiB);
  const first = pool.open();
  const kept = first.take(MiB);
  const pinned = first.take(MiB);
  first.give(kept);
  first.close();
  // A late write callback of the closed stream must not return its buffer for reuse.
  first.give(pinned);
  const second = pool.open();
  const again = [second.take(MiB), second.take(MiB)];
  assert.ok(again.includes(kept), 'a returned buffer is reused');
  assert.ok(!again.includes(pinned), 'a buffer that may still be in a socket is not');
  assert.equal(pool.lentNow, 2 * MiB);
});
