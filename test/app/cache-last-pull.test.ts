// "Last pull" in the Cache view comes from the app core's listCache. containerd, and so Docker
// and kubelet, pull by resolving the tag with a HEAD and then GETting the manifest by digest; a
// pull of that shape must show as a pull of the tag, through the app core and its engine.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { blobsOf } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('a pull that resolves the tag with a HEAD and fetches by digest sets "Last pull" of the tag', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-last-pull-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  t.after(() => core.shutdown());
  await core.open();
  const port = await findFreePort();
  await core.updateSettings({ listenHost: '127.0.0.1', port, upstream: upstream.url });
  await core.startMirror();
  const base = `http://127.0.0.1:${port}`;
  const image = upstream.images.alpine;

  const head = await fetch(`${base}/v2/library/alpine-test/manifests/latest`, { method: 'HEAD', headers: { accept: image.mediaType } });
  assert.equal(head.status, 200);
  const digest = head.headers.get('docker-content-digest');
  assert.equal(digest, image.digest);
  const manifest = await fetch(`${base}/v2/library/alpine-test/manifests/${digest}`, { headers: { accept: image.mediaType } });
  assert.equal(manifest.status, 200);
  await manifest.arrayBuffer();
  for (const blob of blobsOf(image)) {
    const response = await fetch(`${base}/v2/library/alpine-test/blobs/${blob.digest}`);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  }

  // The note is written after the answer; a listing a moment later must show it.
  const deadline = Date.now() + 5_000;
  let latest: string | null = null;
  while (Date.now() < deadline) {
    const repo = (await core.listCache()).find((r) => r.repository === 'library/alpine-test');
    latest = repo?.images.find((i) => i.reference === 'latest')?.lastPulled ?? null;
    if (latest) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(latest, 'the cache listing says the tag was never pulled');
  assert.ok(Math.abs(Date.parse(latest) - Date.now()) < 60_000, `last pull ${latest} is not the pull just made`);
});
