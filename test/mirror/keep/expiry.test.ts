// Expiry against a real store and the Docker Hub stand-in, with an injected clock: after a
// restart ten days later with a 7-day expiry, only unpinned images nobody pulled for 7 days go,
// and of their blobs only those no kept image still uses.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror } from '../../../mirror/index.js';
import { pushImage } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { blobFiles } from '../../support/store-files.js';
import { pullImage, settle, storedDigests } from './pull-helpers.js';

const day = 86_400_000;
let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('expiry removes only unpinned, old, unshared blobs', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-expiry-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const file = (name: string) => [{ path: `/etc/expiry/${name}.txt`, content: `${name}\n` }];
  const push = (repository: string, layers: string[]) => pushImage(upstream.registry.url, { repository, tag: '1', layers: layers.map(file) });
  const [old, pinnedOld, recent] = await Promise.all([push('dockmirror/expire-old', ['shared', 'old-own', 'pin-shared']), push('dockmirror/expire-pinned', ['pinned-own', 'pin-shared']), push('dockmirror/expire-recent', ['shared', 'recent-own'])]);
  const clock = { now: Date.parse('2026-03-01T08:00:00Z') };
  const first = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, now: () => clock.now });
  const base = `http://127.0.0.1:${(await first.start({ host: '127.0.0.1', port: 0 })).port}`;
  await pullImage(base, old);
  await pullImage(base, pinnedOld);
  await first.pinImage('docker.io', pinnedOld.repository, '1', true);
  clock.now += 9 * day;
  await pullImage(base, recent);
  await first.stop();

  clock.now += day;
  const second = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, expireAfterMs: 7 * day, now: () => clock.now });
  // The dry run first: exactly what the pass below removes, and nothing removed by asking.
  const sizes = new Map((await blobFiles(cacheDir)).map((blob) => [blob.digest, blob.size]));
  const doomed = [old.digest, old.config.digest, old.layers[1]!.digest];
  assert.deepEqual(await second.expiryPreview(), { expireAfterMs: 7 * day, images: 1, bytes: doomed.reduce((sum, digest) => sum + sizes.get(digest)!, 0) });
  assert.deepEqual(await second.expiryPreview(null), { expireAfterMs: null, images: 0, bytes: 0 }, 'with expiry off nothing would go');
  assert.equal((await second.expiryPreview(day / 2)).images, 2, 'a shorter expiry would take the recent unpinned image too, never the pinned one');
  assert.equal((await storedDigests(cacheDir)).size, sizes.size, 'the dry run removed something');
  await second.start({ host: '127.0.0.1', port: 0 });
  t.after(() => second.stop());
  await settle(async () => !(await storedDigests(cacheDir)).has(old.layers[1]!.digest), "the old image's own layer expires");
  const stored = await storedDigests(cacheDir);
  assert.ok(!stored.has(old.digest) && !stored.has(old.config.digest), 'the old manifest and config expire with it');
  assert.ok(stored.has(old.layers[0]!.digest), 'a layer a recent image shares stays');
  assert.ok(stored.has(old.layers[2]!.digest), 'a layer a pinned image shares stays');
  for (const blob of [pinnedOld.digest, pinnedOld.config.digest, pinnedOld.layers[0]!.digest]) assert.ok(stored.has(blob), 'a pinned image expired');
  for (const blob of [recent.digest, recent.config.digest, ...recent.layers.map((l) => l.digest)]) assert.ok(stored.has(blob), 'a recent image expired');
  const listed = (await second.listCache()).map((r) => r.repository).sort();
  assert.deepEqual(listed, [pinnedOld.repository, recent.repository]);
});
