// A download's received bytes live in reused slabs (slab-ring.ts): a copy must not change when
// the socket's buffer does, a released slab is reused, and a slab a socket still holds part of
// is never written again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlabRing } from '../../../mirror/blobs/slab-ring.js';

const chunk = (fill: number): Buffer => Buffer.alloc(512, fill);

test('a copy keeps its bytes when the buffer it came from is reused', () => {
  const ring = new SlabRing(1024, () => 4096);
  const socketBuffer = chunk(1);
  const copy = ring.copy(socketBuffer);
  socketBuffer.fill(9);
  assert.ok(copy.equals(chunk(1)));
  assert.notEqual(copy.buffer, socketBuffer.buffer);
});

test('released slabs are written again; a slab lent to a socket is not, even once given back', () => {
  const ring = new SlabRing(1024, () => 4096);
  const copies = [0, 1, 2, 3].map((n) => ring.copy(chunk(n)));
  const [first, , lentOne] = copies;
  assert.equal(copies[0]!.buffer, copies[1]!.buffer, 'two 512-byte chunks share a 1 KiB slab');
  assert.notEqual(first!.buffer, lentOne!.buffer);
  ring.lend(lentOne!);
  // A fifth chunk opens a third slab; both full slabs lie below 2048 and are released.
  ring.copy(chunk(4));
  ring.release(2048);
  ring.giveBack(lentOne!);
  const later = [5, 6, 7, 8].map((n) => ring.copy(chunk(n)));
  assert.ok(later.some((copy) => copy.buffer === first!.buffer), 'the free slab was reused');
  assert.ok(later.every((copy) => copy.buffer !== lentOne!.buffer), 'the lent slab was not');
  assert.ok(lentOne!.equals(chunk(2)), 'what the socket holds is unchanged');
});

test('nothing is reused before release() passes it, and a download over its budget lets slabs go', () => {
  const ring = new SlabRing(1024, () => 1024);
  const held = [0, 1, 2, 3].map((n) => ring.copy(chunk(n)));
  const slabs = new Set(held.map((copy) => copy.buffer));
  assert.equal(slabs.size, 2);
  const more = [4, 5, 6, 7].map((n) => ring.copy(chunk(n)));
  assert.ok(more.every((copy) => !slabs.has(copy.buffer)), 'unreleased slabs are not written');
  ring.release(4096);
  // A budget of one slab keeps none spare: every new slab is a fresh one.
  const after = [8, 9].map((n) => ring.copy(chunk(n)));
  assert.ok(after.every((copy) => !slabs.has(copy.buffer) && !more.some((m) => m.buffer === copy.buffer)));
  held.forEach((copy, n) => assert.ok(copy.equals(chunk(n))));
});
