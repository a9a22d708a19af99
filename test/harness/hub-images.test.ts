// The hub stand-in's images reach real clients intact: skopeo copies and inspects the standard
// images and a streamed random one, and containerd and dockerd pull and unpack them.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { blobsOf, hostPlatform, MEDIA_TYPES, pushRandomImage, sha256 } from '../support/images.js';
import { assertDirHolds, hostOf, upstreamFixture } from './upstream-fixture.js';

const run = promisify(execFile);
const fixture = upstreamFixture();

describe('the standard images through the hub stand-in', () => {
  test('skopeo copies the OCI index and both platforms; bytes match what was pushed', async () => {
    fixture.up.hub.resetStats();
    const dir = join(fixture.work, 'multi');
    await fixture.skopeo(['copy', '--src-tls-verify=false', '--all', `docker://${hostOf(fixture.up.url)}/library/multi-test:latest`, `dir:${dir}`]);
    const multi = fixture.up.images.multi;
    assert.equal(multi.mediaType, MEDIA_TYPES.ociIndex);
    const platforms = multi.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort();
    assert.deepEqual(platforms, ['linux/amd64', 'linux/arm64']);
    assert.ok(platforms.includes(`linux/${hostPlatform().architecture}`));
    await assertDirHolds(dir, multi);

    const stats = fixture.up.hub.stats();
    for (const blob of blobsOf(multi)) {
      assert.equal(stats.blobGets[blob.digest], 1, 'each blob GET reached the registry once');
      assert.equal(stats.cdnGets[blob.digest], 1, 'and was served by the CDN after a 307');
      assert.equal(stats.blobBytesSent[blob.digest], blob.size);
    }
    const cdn = stats.requests.filter((r) => r.server === 'cdn');
    assert.ok(cdn.length >= blobsOf(multi).length);
    assert.ok(cdn.every((r) => r.authorization === 'none' && r.status === 200));
    assert.ok(stats.requests.some((r) => r.server === 'registry' && r.status === 307));
  });

  test('skopeo inspects the Docker v2 image; digest and raw bytes are the pushed ones', async () => {
    const alpine = fixture.up.images.alpine;
    const raw = await fixture.skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${hostOf(fixture.up.url)}/library/alpine-test:latest`]);
    assert.deepEqual(Buffer.from(raw), alpine.bytes);
    const info = JSON.parse(await fixture.skopeo(['inspect', '--tls-verify=false', `docker://${hostOf(fixture.up.url)}/library/alpine-test:latest`])) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
    };
    assert.equal(info.Digest, alpine.digest);
    assert.deepEqual(info.Layers, alpine.layers.map((l) => l.digest));
    assert.equal(info.Architecture, hostPlatform().architecture);
    assert.equal(alpine.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(alpine.layers.length, 2);
  });

  test('layers are real gzip tars whose diff_ids are in the config', async () => {
    for (const image of [fixture.up.images.alpine, fixture.up.images.sharedA]) {
      const config = JSON.parse(image.config.bytes.toString('utf8')) as { rootfs: { diff_ids: string[] }; os: string };
      assert.equal(config.os, 'linux');
      assert.deepEqual(config.rootfs.diff_ids, image.layers.map((l) => l.diffId));
      for (const layer of image.layers) {
        const response = await fetch(`${fixture.up.registry.url}/v2/${image.repository}/blobs/${layer.digest}`);
        const tar = gunzipSync(Buffer.from(await response.arrayBuffer()));
        assert.equal(sha256(tar), layer.diffId);
        assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar');
        for (const file of layer.files) assert.ok(tar.includes(Buffer.from(file.slice(1))), `${file} is in the layer`);
      }
    }
    assert.equal(fixture.up.images.sharedA.layers[0]?.digest, fixture.up.images.sharedB.layers[0]?.digest, 'shared-a and shared-b share a layer');
    assert.notEqual(fixture.up.images.sharedA.layers[1]?.digest, fixture.up.images.sharedB.layers[1]?.digest);
  });

  test('a streamed random layer is pushed with correct digest and diff_id and copies intact', async () => {
    const big = await pushRandomImage(fixture.up.registry.url, { repository: 'bench/random', tag: 'small', sizeBytes: 3 * 1024 * 1024 + 17 });
    const layer = big.layers[0];
    assert.ok(layer);
    const dir = join(fixture.work, 'random');
    await fixture.skopeo(['copy', '--src-tls-verify=false', `docker://${hostOf(fixture.up.url)}/bench/random:small`, `dir:${dir}`]);
    await assertDirHolds(dir, big);
    const tar = gunzipSync(await readFile(join(dir, layer.digest.slice(7))));
    assert.equal(sha256(tar), layer.diffId);
    assert.equal(tar.length, layer.uncompressedSize);
  });
});


function daemon(t: { after: (fn: () => Promise<void>) => void }, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => {
    log += `could not start ${command}: ${error.message}`;
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    }
  });
  Object.defineProperty(child, 'log', { get: () => log });
  return child;
}

/** Retries `probe` until it succeeds or the daemon dies; the error then carries the daemon's log. */
async function waitForDaemon(child: ChildProcess, name: string, probe: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      assert.fail(`${name} exited: ${(child as ChildProcess & { log?: string }).log ?? ''}`);
    }
    try {
      await probe();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.fail(`${name} did not come up: ${(child as ChildProcess & { log?: string }).log ?? ''}`);
}

describe('real daemons pull through the stand-in', () => {
  test('containerd (ctr) pulls and unpacks the index for this platform and the Docker v2 image', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dm-ctd-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, 'c.sock');
    const config = [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(join(dir, 't.sock'))}`,
    ].join('\n');
    await writeFile(join(dir, 'config.toml'), config);
    const containerd = daemon(t, '/usr/bin/containerd', ['--config', join(dir, 'config.toml'), '--log-level', 'warn']);
    const ctr = (...args: string[]): Promise<{ stdout: string }> => run('/usr/bin/ctr', ['--address', socket, '-n', 'dockmirror-test', ...args]);
    await waitForDaemon(containerd, 'containerd', () => ctr('version'));

    fixture.up.hub.resetStats();
    const host = hostOf(fixture.up.url);
    for (const ref of ['library/multi-test:latest', 'library/alpine-test:latest']) {
      await ctr('images', 'pull', '--plain-http', '--snapshotter', 'native', `${host}/${ref}`);
    }
    const list = (await ctr('images', 'ls')).stdout;
    assert.match(list, new RegExp(`${host}/library/multi-test:latest\\s+${MEDIA_TYPES.ociIndex.replace(/[.+]/g, '\\$&')}\\s+${fixture.up.images.multi.digest}`));
    assert.match(list, new RegExp(`${host}/library/alpine-test:latest\\s+\\S+\\s+${fixture.up.images.alpine.digest}`));
    // Unpacked: the layer files are in the native snapshotter's directories.
    const snapshots = join(dir, 'root', 'io.containerd.snapshotter.v1.native', 'snapshots');
    const found = (await run('find', [snapshots, '-name', '*.txt'])).stdout;
    assert.match(found, new RegExp(`/etc/dockmirror-test/multi-${hostPlatform().architecture}\\.txt`));
    assert.match(found, /\/etc\/dockmirror-test\/alpine-app\.txt/);
    const stats = fixture.up.hub.stats();
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none' && r.status === 200));
    assert.ok(stats.tokenRequests.length > 0);
  });
});
