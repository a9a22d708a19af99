// Keep warm against a real store and the Docker Hub stand-in (which counts what reaches it), with
// an injected clock and no sleeping: an unchanged tag costs HEADs only; a tag moved upstream costs
// exactly its new manifest and new blobs, after which a client's pull costs the upstream nothing;
// chosen platforms only; the run stops at its share of the pulls left and pauses at a 429 until
// its Retry-After. Kept images are pinned.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type KeepWarmImage, type MirrorEngine } from '../../../mirror/index.js';
import { pushImage, pushRandomImage, type PushedImageManifest } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { pullImage, storedDigests } from './pull-helpers.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream({ hub: { retryAfterSeconds: 600 } });
});

after(async () => {
  await upstream?.close();
});

const file = (name: string) => [{ path: `/etc/keep/${name}.txt`, content: `${name}\n` }];
const kept = (repository: string, tag: string, platforms: string[] | null = null): KeepWarmImage => ({ registry: 'docker.io', repository, tag, platforms });

async function openMirror(t: TestContext, images: KeepWarmImage[], clock: { now: number }, budgetShare = 0.5): Promise<{ mirror: MirrorEngine; base: string; cacheDir: string }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-keep-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const mirror = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, now: () => clock.now, keepWarm: { images, budgetShare } });
  const { port } = await mirror.start({ host: '127.0.0.1', port: 0 });
  t.after(() => mirror.stop());
  return { mirror, base: `http://127.0.0.1:${port}`, cacheDir };
}

test('an unchanged tag costs HEADs only; a moved tag costs its new manifest and new blobs; then a pull costs the upstream nothing', async (t) => {
  const { hub, registry, images } = upstream;
  const old = await pushImage(registry.url, { repository: 'dockmirror/keep-moving', tag: 'stable', layers: [file('base'), file('v1')] });
  const clock = { now: Date.parse('2026-03-01T02:00:00Z') };
  const hostPlatform = images.multi.manifests[0]!.platform;
  const chosen = `${hostPlatform.os}/${hostPlatform.architecture}${hostPlatform.variant ? `/${hostPlatform.variant}` : ''}`;
  const { mirror, base, cacheDir } = await openMirror(t, [kept(old.repository, 'stable'), kept(images.multi.repository, 'latest', [chosen])], clock);

  const first = await mirror.refreshKept();
  assert.deepEqual(first.map((s) => s.result), ['updated', 'updated'], JSON.stringify(first));
  const stored = await storedDigests(cacheDir);
  assert.ok(stored.has(images.multi.manifests[0]!.digest), 'the chosen platform is kept');
  assert.ok(!stored.has(images.multi.manifests[1]!.digest), 'a platform not chosen is not fetched');
  const listed = (await mirror.listCache()).flatMap((r) => r.images.map((i) => ({ ...i, repository: r.repository })));
  assert.ok(listed.every((i) => i.pinned && i.keptWarm), 'kept images are pinned');

  hub.resetStats();
  clock.now += 6 * 3_600_000;
  const again = await mirror.refreshKept();
  assert.deepEqual(again.map((s) => s.result), ['unchanged', 'unchanged']);
  let stats = hub.stats();
  assert.equal(hub.countedPulls(), 0, 'an unchanged tag cost a counted pull');
  assert.equal(stats.totalBlobBytesSent, 0);
  assert.equal(stats.manifestHeads[old.repository], 1);
  assert.equal(again[0]!.lastRefresh, new Date(clock.now).toISOString());
  assert.equal(again[0]!.nextRefresh, new Date(clock.now + 6 * 3_600_000).toISOString());

  const moved: PushedImageManifest = await pushImage(registry.url, { repository: old.repository, tag: 'stable', layers: [file('base'), file('v2')] });
  hub.resetStats();
  clock.now += 6 * 3_600_000;
  const third = await mirror.refreshKept();
  assert.equal(third[0]!.result, 'updated');
  stats = hub.stats();
  assert.deepEqual(stats.manifestGets, { [old.repository]: 1 }, 'exactly the new manifest was fetched');
  const newBlobs = [moved.config.digest, moved.layers[1]!.digest].sort();
  assert.deepEqual(Object.keys(stats.blobGets).sort(), newBlobs, 'exactly the new blobs were fetched');
  assert.equal(stats.totalBlobBytesSent, moved.config.size + moved.layers[1]!.size);

  hub.resetStats();
  await pullImage(base, moved);
  stats = hub.stats();
  assert.equal(stats.requests.length, 0, `the pull reached the upstream: ${JSON.stringify(stats.requests.map((r) => `${r.method} ${r.url}`))}`);
});

test('a run spends at most its share of the pulls left, and a 429 pauses every refresh until Retry-After', async (t) => {
  const { hub, registry } = upstream;
  const pushed = await Promise.all(['a', 'b', 'c', 'd'].map((name) => pushRandomImage(registry.url, { repository: `dockmirror/keep-budget-${name}`, tag: '1', sizeBytes: 4096 })));
  hub.resetRateLimits({ anonymous: 4 });
  t.after(() => hub.resetRateLimits({ anonymous: 100 }));
  hub.resetStats();
  const clock = { now: Date.parse('2026-03-01T02:00:00Z') };
  const { mirror } = await openMirror(t, pushed.map((image) => kept(image.repository, '1')), clock, 0.5);

  // 4 pulls left, half of them for this run: two images, the rest waits for the next run.
  const first = await mirror.refreshKept();
  assert.deepEqual(first.map((s) => s.result), ['updated', 'updated', 'budget', 'budget'], JSON.stringify(first));
  assert.equal(hub.countedPulls(), 2);

  // Plenty of pulls again, but the upstream answers the next image with a 429.
  hub.resetRateLimits({ anonymous: 100 });
  hub.injectManifestFault(pushed[2]!.repository, { kind: 'status', status: 429 }, 1);
  hub.resetStats();
  clock.now += 60_000;
  const second = await mirror.refreshKept();
  assert.deepEqual(second.map((s) => s.result), ['unchanged', 'unchanged', 'paused', 'paused']);
  assert.equal(hub.stats().manifestHeads[pushed[3]!.repository], undefined, 'the run went on after the 429');
  assert.equal(second[2]!.nextRefresh, new Date(clock.now + 600_000).toISOString());

  hub.resetStats();
  clock.now += 599_000;
  const stillPaused = await mirror.refreshKept();
  assert.ok(stillPaused.every((s) => s.result === 'paused' || s.result === 'unchanged'));
  assert.equal(hub.stats().requests.length, 0, 'a paused refresh asked the upstream');

  clock.now += 2_000;
  const resumed = await mirror.refreshKept();
  assert.deepEqual(resumed.map((s) => s.result), ['unchanged', 'unchanged', 'updated', 'updated']);
});
