// Pins and references against a real store and the Docker Hub stand-in, with an injected clock
// and caps smaller than some blobs: the size cap evicts least-recently-used images by their
// unique blobs and never a pinned one; a shared blob stays while a kept image uses it, after a
// restart too; pinned content alone over the cap is a health problem, not a silent overflow.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror, type MirrorEngine } from '../../../mirror/index.js';
import { pushRandomImage, type PushedImageManifest } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { pullImage, settle, storedDigests } from './pull-helpers.js';

const MiB = 1024 * 1024;
let upstream: TestUpstream;
let keep: PushedImageManifest;
let older: PushedImageManifest;
let newer: PushedImageManifest;
let big: PushedImageManifest;

before(async () => {
  upstream = await startTestUpstream();
  const push = (name: string, sizeBytes: number) => pushRandomImage(upstream.registry.url, { repository: `dockmirror/pin-${name}`, tag: '1', sizeBytes });
  [keep, older, newer, big] = await Promise.all([push('keep', MiB), push('older', MiB), push('newer', MiB), push('big', 3 * MiB)]);
});

after(async () => {
  await upstream?.close();
});

const layer = (image: PushedImageManifest) => image.layers[0]!.digest;

test('the size cap evicts unpinned images least recently used first, never a pinned one, and says when pinned content alone is over', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-pins-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  let clock = Date.parse('2026-03-01T08:00:00Z');
  const open = async (maxSizeBytes: number): Promise<{ mirror: MirrorEngine; base: string }> => {
    const mirror = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, maxSizeBytes, now: () => clock });
    const { port } = await mirror.start({ host: '127.0.0.1', port: 0 });
    return { mirror, base: `http://127.0.0.1:${port}` };
  };
  const cap = 2.5 * MiB;
  let { mirror, base } = await open(cap);
  t.after(() => mirror.stop());

  await pullImage(base, keep);
  await mirror.pinImage('docker.io', keep.repository, '1', true);
  clock += 3_600_000;
  await pullImage(base, older);
  clock += 3_600_000;
  await pullImage(base, newer);
  // keep is the least recently used image, but pinned: older goes instead.
  await settle(async () => !(await storedDigests(cacheDir)).has(layer(older)), 'the older image is evicted');
  let stored = await storedDigests(cacheDir);
  assert.ok(stored.has(layer(keep)), 'the pinned image was evicted');
  assert.ok(stored.has(layer(newer)), 'the most recently used image went before an older one');
  assert.ok(mirror.status().cache.bytes <= cap);

  // A blob larger than the cap: it reaches the client, then everything unpinned goes, and the
  // pinned image, within the cap on its own, stays without a problem.
  clock += 3_600_000;
  await pullImage(base, big);
  await settle(() => mirror.status().cache.bytes <= cap, 'the cache is back under the cap');
  stored = await storedDigests(cacheDir);
  assert.ok(stored.has(layer(keep)));
  assert.ok(!stored.has(layer(big)) && !stored.has(layer(newer)));
  assert.equal(mirror.status().problems.some((p) => p.code === 'cache-over-cap'), false);
  const listed = (await mirror.listCache()).flatMap((r) => r.images.map((i) => ({ repository: r.repository, ...i })));
  assert.deepEqual(listed.map((i) => `${i.repository}:${i.reference} pinned=${i.pinned}`), [`${keep.repository}:1 pinned=true`], 'evicted images leave the listing');

  // After a restart with a cap the pinned image alone exceeds, it stays, and the window is told.
  await mirror.stop();
  ({ mirror, base } = await open(0.5 * MiB));
  await settle(() => mirror.status().problems.some((p) => p.code === 'cache-over-cap'), 'the over-cap problem is raised');
  assert.ok((await storedDigests(cacheDir)).has(layer(keep)), 'the pin survived the restart');
  assert.match(mirror.status().problems.find((p) => p.code === 'cache-over-cap')!.message, /pinned/);

  await mirror.pinImage('docker.io', keep.repository, '1', false);
  await settle(async () => !(await storedDigests(cacheDir)).has(layer(keep)), 'the unpinned image is evicted');
  await settle(() => !mirror.status().problems.some((p) => p.code === 'cache-over-cap'), 'the problem clears');
});

test('a blob two images share stays while a kept image uses it, and the counts hold after a restart', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-refs-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const { sharedA, sharedB } = upstream.images;
  const clock = { now: Date.parse('2026-03-01T08:00:00Z') };
  const first = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, now: () => clock.now });
  const base = `http://127.0.0.1:${(await first.start({ host: '127.0.0.1', port: 0 })).port}`;
  await pullImage(base, sharedA);
  clock.now += 60_000;
  await pullImage(base, sharedB);
  const images = (await first.listCache()).flatMap((r) => r.images);
  assert.equal(images.length, 2);
  const sharedLayer = sharedA.layers[0]!;
  for (const image of images) assert.equal(image.sharedBytes, sharedLayer.size, 'the shared layer counts as shared for both');
  await first.stop();

  // sharedA (the older) is unpinned and goes first; the layer sharedB still uses stays.
  const second = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, maxSizeBytes: 1, now: () => clock.now });
  await second.pinImage('docker.io', sharedB.repository, '1', true);
  await second.start({ host: '127.0.0.1', port: 0 });
  t.after(() => second.stop());
  await settle(async () => !(await storedDigests(cacheDir)).has(sharedA.layers[1]!.digest), "sharedA's own layer is evicted");
  const stored = await storedDigests(cacheDir);
  assert.ok(stored.has(sharedLayer.digest), 'the shared layer a pinned image uses was evicted');
  assert.ok(stored.has(sharedB.layers[1]!.digest));
  const [left] = (await second.listCache()).flatMap((r) => r.images);
  assert.equal(left?.uniqueBytes, left?.bytes, 'with sharedA gone, every blob of sharedB is its own');
});
