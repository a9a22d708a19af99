// Real clients pulling through the mirror: dockerd (also from another host on the LAN),
// containerd's ctr and skopeo. Each image must arrive intact, and once one client pulled an
// image, the next costs the upstream zero blob bytes and zero counted pulls.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorEvent, type PullEvent } from '../../mirror/index.js';
import {
  containerdImageProblems,
  copiedImageProblems,
  createLanHost,
  dockerImageProblems,
  readCopiedImage,
  skopeoCopy,
  startContainerd,
  startDockerd,
  writeHostsToml,
  type RunningDockerd,
} from '../support/clients/index.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let mirror: MirrorEngine;
let mirrorUrl: string;
let workDir: string;
const events: MirrorEvent[] = [];

before(async () => {
  upstream = await startTestUpstream();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-clients-'));
  mirror = createMirror({ cacheDir: join(workDir, 'cache'), upstream: upstream.url, registryName: 'docker.io', minFreeBytes: 0 });
  mirror.subscribe((event) => events.push(event));
  const { port } = await mirror.start({ host: '127.0.0.1', port: 0 });
  mirrorUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  await mirror?.stop();
  await upstream?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Upstream cost of `work`: blob bytes the hub and CDN sent, and counted pulls. */
async function upstreamCost(work: () => Promise<void>): Promise<{ blobBytes: number; countedPulls: number }> {
  const bytesBefore = upstream.hub.stats().totalBlobBytesSent;
  const pullsBefore = upstream.hub.countedPulls();
  await work();
  return { blobBytes: upstream.hub.stats().totalBlobBytesSent - bytesBefore, countedPulls: upstream.hub.countedPulls() - pullsBefore };
}

async function dockerPull(dockerd: RunningDockerd, image: string): Promise<void> {
  const result = await dockerd.pull(image);
  assert.ok(result.ok, `docker pull ${image} failed:\n${result.output}\n${dockerd.log().slice(-2000)}`);
}

test('docker pull through the mirror: intact, and a second host costs the upstream nothing', async (t) => {
  const first = await startDockerd({ mirrors: [mirrorUrl] });
  t.after(() => first.stop());
  const second = await startDockerd({ mirrors: [mirrorUrl] });
  t.after(() => second.stop());
  const { alpine } = upstream.images;

  const cold = await upstreamCost(() => dockerPull(first, 'alpine-test:latest'));
  assert.deepEqual(await dockerImageProblems(first, 'alpine-test:latest', alpine), []);
  assert.ok(cold.blobBytes >= alpine.layers.reduce((sum, layer) => sum + layer.size, 0));
  assert.equal(cold.countedPulls, 1, 'HEAD by tag, then one counted GET by digest');

  const warm = await upstreamCost(() => dockerPull(second, 'alpine-test:latest'));
  assert.deepEqual(await dockerImageProblems(second, 'alpine-test:latest', alpine), []);
  assert.deepEqual(warm, { blobBytes: 0, countedPulls: 0 });
});

test('ctr images pull --hosts-dir (containerd, ns=docker.io) of the multi-arch index; docker then pulls it for free', async (t) => {
  const containerd = await startContainerd();
  t.after(() => containerd.stop());
  const hostsDir = await writeHostsToml(join(workDir, 'hosts'), [mirrorUrl], { noFallback: true });
  const ref = 'docker.io/library/multi-test:latest';
  const cold = await upstreamCost(async () => {
    const result = await containerd.pull(ref, { hostsDir, snapshotter: 'native' });
    assert.ok(result.ok, `ctr pull failed:\n${result.output}`);
  });
  assert.deepEqual(await containerdImageProblems(containerd, ref, upstream.images.multi), []);
  assert.ok(cold.blobBytes > 0);

  const dockerd = await startDockerd({ mirrors: [mirrorUrl] });
  t.after(() => dockerd.stop());
  const warm = await upstreamCost(() => dockerPull(dockerd, 'multi-test:latest'));
  assert.deepEqual(warm, { blobBytes: 0, countedPulls: 0 });
});

test('skopeo copy through the mirror is byte-exact and costs nothing once cached', async (t) => {
  const destination = await mkdtemp(join(tmpdir(), 'dockmirror-skopeo-'));
  t.after(() => rm(destination, { recursive: true, force: true }));
  const source = `docker://${mirrorUrl.replace('http://', '')}/library/alpine-test:latest`;
  const cost = await upstreamCost(async () => {
    const result = await skopeoCopy(source, destination, { layout: 'dir' });
    assert.ok(result.ok, `skopeo copy failed:\n${result.output}`);
  });
  assert.deepEqual(copiedImageProblems(await readCopiedImage(destination, 'dir'), upstream.images.alpine, 'dir'), []);
  assert.deepEqual(cost, { blobBytes: 0, countedPulls: 0 }, 'docker pulled this image in the first test');
});

test('a Docker host on the LAN (another network namespace) pulls through the mirror, and the pull is summarised', async (t) => {
  const lan = await createLanHost();
  t.after(() => lan.destroy());
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-lan-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const lanMirror = createMirror({ cacheDir, upstream: upstream.url, registryName: 'docker.io', minFreeBytes: 0 });
  const seen: MirrorEvent[] = [];
  lanMirror.subscribe((event) => seen.push(event));
  const { port } = await lanMirror.start({ host: lan.hostAddress, port: 0 });
  t.after(() => lanMirror.stop());
  const dockerd = await startDockerd({ mirrors: [`http://${lan.hostAddress}:${port}`], netns: lan.name });
  t.after(() => dockerd.stop());
  await dockerPull(dockerd, 'dockmirror/shared-a:1');
  assert.deepEqual(await dockerImageProblems(dockerd, 'dockmirror/shared-a:1', upstream.images.sharedA), []);
  const deadline = Date.now() + 5_000;
  let pull: PullEvent | undefined;
  while (!pull && Date.now() < deadline) {
    pull = seen.find((e): e is PullEvent => e.type === 'pull');
    if (!pull) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(pull, 'a pull summary was emitted');
  assert.equal(pull.client, lan.lanAddress);
  assert.equal(pull.repository, 'dockmirror/shared-a');
  assert.equal(pull.reference, '1');
  assert.equal(pull.blobs, 1 + upstream.images.sharedA.layers.length);
  assert.ok(pull.ok);
  assert.match(pull.summary, new RegExp(`^${lan.lanAddress.replace(/\./g, '\\.')} pulled dockmirror/shared-a:1 — 3 blobs`));
});
