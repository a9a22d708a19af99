// Proves the real-client harnesses work against a real registry: dockerd (on the host and on a LAN
// host in a network namespace), containerd's ctr, and skopeo each pull the standard test images
// from Debian's distribution, and what arrived is checked against what was pushed.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  containerdImageProblems,
  copiedImageProblems,
  createLanHost,
  dockerImageProblems,
  readCopiedImage,
  skopeoCopy,
  startContainerd,
  startDockerd,
  startRecordingProxy,
  writeHostsToml,
  type RunningDockerd,
} from '../support/clients/index.js';
import { blobsOf, hostPlatform, pushStandardImages, type PushedImageManifest, type StandardImages } from '../support/images.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

// `docker.io/library/alpine-test` is served by the "mirror" as `library/alpine-test`.
const ALPINE = 'docker.io/library/alpine-test:latest';
const MULTI = 'docker.io/library/multi-test:latest';

function hostChild(images: StandardImages): PushedImageManifest {
  const platform = hostPlatform();
  const child = images.multi.manifests.find((m) => m.platform.architecture === platform.architecture);
  assert.ok(child, `the multi-arch test image has no ${platform.architecture} manifest`);
  return child;
}

let registry: RunningRegistry;
let images: StandardImages;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  assert.equal(process.getuid?.(), 0, 'The client harness tests run dockerd, containerd and network namespaces and need root.');
  registry = await startRegistry();
  cleanups.push(() => registry.stop());
  images = await pushStandardImages(registry.url);
});

after(async () => {
  // Newest first: daemons before the registry they pull from.
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
});

describe('dockerd through a registry mirror', () => {
  let dockerd: RunningDockerd;
  before(async () => {
    dockerd = await startDockerd({ mirrors: [registry.url] });
    cleanups.push(() => dockerd.stop());
  });

  test('docker info lists the mirror from daemon.json', async () => {
    const info = await dockerd.info();
    assert.deepEqual(info.RegistryConfig.Mirrors, [`${registry.url}/`]);
    assert.equal(info.Driver, 'vfs');
  });

  test('pulls a Docker v2 image intact: ID, diff_ids and saved layer tars match what was pushed', async () => {
    const pulled = await dockerd.pull(ALPINE);
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await dockerImageProblems(dockerd, ALPINE, images.alpine), []);
    const inspect = await dockerd.imageInspect(ALPINE);
    assert.deepEqual(inspect?.RepoDigests, [`alpine-test@${images.alpine.digest}`]);
  });

  test('the intact check reports a wrong expectation', async () => {
    const wrong = { config: images.alpine.config, layers: [...images.alpine.layers].reverse() };
    const problems = await dockerImageProblems(dockerd, ALPINE, wrong);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /RootFS\.Layers/);
    assert.match(problems.join('\n'), /Saved layer tars/);
  });

  test('pulls this machine\'s image out of an OCI multi-arch index', async () => {
    const pulled = await dockerd.pull(MULTI);
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await dockerImageProblems(dockerd, MULTI, hostChild(images)), []);
  });

  test('removeImage removes, and a missing image fails the pull with the registry\'s answer', async () => {
    assert.equal(await dockerd.removeImage(ALPINE), true);
    assert.equal(await dockerd.imageInspect(ALPINE), null);
    const missing = await dockerd.pull('docker.io/library/not-pushed:latest');
    assert.equal(missing.ok, false);
  });
});

describe('dockerd on a LAN host (network namespace)', () => {
  test('pulls through a mirror listening on the host side of the veth', async (t) => {
    const lan = await createLanHost();
    t.after(() => lan.destroy());
    assert.ok((await stat(lan.nsPath)).isFile());
    // The registry itself is loopback-only; the forwarder is "the mirror on the LAN".
    const mirror = await startRecordingProxy({ target: registry.url, host: lan.hostAddress });
    t.after(() => mirror.close());
    // The namespace really is another host: loopback there is its own, the mirror is over the veth.
    const probe = (url: string): ReturnType<typeof lan.exec> =>
      lan.exec(process.execPath, ['-e', `fetch(${JSON.stringify(`${url}/v2/`)}).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(2))`]);
    assert.equal((await probe(registry.url)).code, 2, 'the loopback-only registry must not be reachable from the namespace');
    assert.equal((await probe(mirror.url)).code, 0, 'the mirror on the host side of the veth must be reachable');
    const dockerd = await startDockerd({ mirrors: [mirror.url], netns: lan.name });
    t.after(() => dockerd.stop());

    const pulled = await dockerd.pull(ALPINE);
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await dockerImageProblems(dockerd, ALPINE, images.alpine), []);
    assert.ok(mirror.requests.length > 0);
    for (const r of mirror.requests) assert.equal(r.remoteAddress, lan.lanAddress);
    const blobGets = mirror.requests.filter((r) => r.method === 'GET' && r.url.includes('/blobs/')).map((r) => r.url);
    for (const blob of blobsOf(images.alpine)) {
      assert.ok(blobGets.some((url) => url.endsWith(blob.digest)), `dockerd in the namespace never fetched ${blob.digest} from the LAN mirror`);
    }
  });

  test('destroy removes the namespace', async () => {
    const lan = await createLanHost();
    await lan.destroy();
    await assert.rejects(stat(lan.nsPath), { code: 'ENOENT' });
  });
});

describe('containerd (ctr) through hosts.toml', () => {
  test('pulls and unpacks a Docker v2 image; content re-hashes to the pushed digests; requests carry ns=docker.io', async (t) => {
    const containerd = await startContainerd();
    t.after(() => containerd.stop());
    const mirror = await startRecordingProxy({ target: registry.url });
    t.after(() => mirror.close());
    const hostsDir = await mkdtemp(join(tmpdir(), 'dmx-hosts-'));
    t.after(() => rm(hostsDir, { recursive: true, force: true }));
    await writeHostsToml(hostsDir, [mirror.url]);

    const pulled = await containerd.pull(ALPINE, { hostsDir });
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await containerdImageProblems(containerd, ALPINE, images.alpine), []);
    const content = new Map((await containerd.content()).map((item) => [item.digest, item.size]));
    for (const blob of [images.alpine, ...blobsOf(images.alpine)]) assert.equal(content.get(blob.digest), blob.size, `ctr content ls lacks ${blob.digest}`);
    // The check must notice an image that is not the expected one.
    const problems = await containerdImageProblems(containerd, ALPINE, images.sharedA);
    assert.ok(problems.some((p) => p.includes(images.sharedA.digest)), problems.join('\n'));
    const registryRequests = mirror.requests.filter((r) => r.url.startsWith('/v2/library/'));
    assert.ok(registryRequests.length > 0);
    for (const r of registryRequests) assert.match(r.url, /[?&]ns=docker\.io(&|$)/, `${r.method} ${r.url}`);
  });

  test('pulls every platform of an OCI index with --all-platforms', async (t) => {
    const containerd = await startContainerd();
    t.after(() => containerd.stop());
    const hostsDir = await mkdtemp(join(tmpdir(), 'dmx-hosts-'));
    t.after(() => rm(hostsDir, { recursive: true, force: true }));
    await writeHostsToml(hostsDir, [registry.url], { noFallback: true });

    const pulled = await containerd.pull(MULTI, { hostsDir, allPlatforms: true });
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await containerdImageProblems(containerd, MULTI, images.multi, { allPlatforms: true }), []);
    for (const blob of [images.multi, ...images.multi.manifests, ...blobsOf(images.multi)]) {
      assert.deepEqual(await containerd.hashContent(blob.digest), { digest: blob.digest, size: blob.size });
    }
  });
});

describe('skopeo copy', () => {
  test('dir: layout keeps the Docker v2 manifest and every blob byte for byte', async (t) => {
    const dest = await mkdtemp(join(tmpdir(), 'dmx-skopeo-'));
    t.after(() => rm(dest, { recursive: true, force: true }));
    const source = `docker://127.0.0.1:${registry.port}/library/alpine-test:latest`;
    const copied = await skopeoCopy(source, join(dest, 'alpine'), { layout: 'dir' });
    assert.ok(copied.ok, copied.output);
    const image = await readCopiedImage(join(dest, 'alpine'), 'dir');
    assert.equal(image.manifestDigest, images.alpine.digest);
    assert.deepEqual(image.manifestBytes, images.alpine.bytes);
    assert.deepEqual(image.blobs.map((b) => [b.digest, b.size]), blobsOf(images.alpine).map((b) => [b.digest, b.size]));
    assert.deepEqual(image.corrupt, []);
    assert.deepEqual(copiedImageProblems(image, images.alpine, 'dir'), []);
  });

  test('oci: layout of a Docker v2 image keeps every blob; without --all an index yields this machine\'s image', async (t) => {
    const dest = await mkdtemp(join(tmpdir(), 'dmx-skopeo-'));
    t.after(() => rm(dest, { recursive: true, force: true }));
    const alpine = await skopeoCopy(`docker://127.0.0.1:${registry.port}/library/alpine-test:latest`, join(dest, 'alpine'));
    assert.ok(alpine.ok, alpine.output);
    assert.deepEqual(copiedImageProblems(await readCopiedImage(join(dest, 'alpine')), images.alpine, 'oci'), []);
    const multi = await skopeoCopy(`docker://127.0.0.1:${registry.port}/library/multi-test:latest`, join(dest, 'multi'), { layout: 'dir' });
    assert.ok(multi.ok, multi.output);
    const copied = await readCopiedImage(join(dest, 'multi'), 'dir');
    assert.equal(copied.manifestDigest, hostChild(images).digest);
    assert.deepEqual(copiedImageProblems(copied, images.multi, 'dir'), []);
    assert.notDeepEqual(copiedImageProblems(copied, images.alpine, 'dir'), []);
  });

  test('oci: layout with --all keeps the OCI index and both platforms', async (t) => {
    const dest = await mkdtemp(join(tmpdir(), 'dmx-skopeo-'));
    t.after(() => rm(dest, { recursive: true, force: true }));
    const source = `docker://127.0.0.1:${registry.port}/library/multi-test:latest`;
    const copied = await skopeoCopy(source, join(dest, 'multi'), { layout: 'oci', all: true });
    assert.ok(copied.ok, copied.output);
    const image = await readCopiedImage(join(dest, 'multi'), 'oci');
    assert.equal(image.manifestDigest, images.multi.digest);
    assert.deepEqual(image.childManifestDigests, images.multi.manifests.map((m) => m.digest));
    assert.deepEqual(new Set(image.blobs.map((b) => b.digest)), new Set(blobsOf(images.multi).map((b) => b.digest)));
    assert.deepEqual(image.corrupt, []);
    assert.deepEqual(copiedImageProblems(image, images.multi, 'oci'), []);
  });

  test('a copy of a missing tag fails', async (t) => {
    const dest = await mkdtemp(join(tmpdir(), 'dmx-skopeo-'));
    t.after(() => rm(dest, { recursive: true, force: true }));
    const copied = await skopeoCopy(`docker://127.0.0.1:${registry.port}/library/alpine-test:missing`, join(dest, 'x'), { layout: 'dir' });
    assert.equal(copied.ok, false);
    assert.match(copied.output, /manifest unknown/i);
  });
});

describe('harness failure paths', () => {
  test('dockerd refusing its config fails startDockerd with its log, and nothing is left behind', async () => {
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('dmx-dockerd-') || name.startsWith('dmx-ctd-'));
    // moby's ValidateMirror rejects a mirror with a path.
    await assert.rejects(startDockerd({ mirrors: [`${registry.url}/some/path`] }), /dockerd exited before it was ready[\s\S]*path/i);
    const afterwards = (await readdir(tmpdir())).filter((name) => name.startsWith('dmx-dockerd-') || name.startsWith('dmx-ctd-'));
    assert.deepEqual(afterwards.sort(), before.sort());
  });
});

describe('clients logging in to a mirror (HTTP Basic)', () => {
  test('dockerd, ctr and skopeo are refused without credentials and pull with them', async (t) => {
    const credentials = { username: 'lan-host', password: `pw-${process.pid}` };
    const mirror = await startRecordingProxy({ target: registry.url, basicAuth: credentials });
    t.after(() => mirror.close());
    const dockerd = await startDockerd({ mirrors: [mirror.url] });
    t.after(() => dockerd.stop());
    // Refused by the mirror, dockerd falls back to the (unreachable) hub: the pull fails.
    assert.equal((await dockerd.pull(ALPINE)).ok, false);
    await dockerd.setHubCredentials(credentials.username, credentials.password);
    const pulled = await dockerd.pull(ALPINE);
    assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await dockerImageProblems(dockerd, ALPINE, images.alpine), []);

    const containerd = await startContainerd();
    t.after(() => containerd.stop());
    const hostsDir = await mkdtemp(join(tmpdir(), 'dmx-hosts-'));
    t.after(() => rm(hostsDir, { recursive: true, force: true }));
    await writeHostsToml(hostsDir, [mirror.url], { noFallback: true });
    assert.equal((await containerd.pull(ALPINE, { hostsDir })).ok, false);
    const ctrPulled = await containerd.pull(ALPINE, { hostsDir, user: `${credentials.username}:${credentials.password}` });
    assert.ok(ctrPulled.ok, ctrPulled.output);
    assert.deepEqual(await containerdImageProblems(containerd, ALPINE, images.alpine), []);

    const dest = await mkdtemp(join(tmpdir(), 'dmx-skopeo-'));
    t.after(() => rm(dest, { recursive: true, force: true }));
    const source = `docker://127.0.0.1:${mirror.port}/library/alpine-test:latest`;
    const refused = await skopeoCopy(source, join(dest, 'refused'), { layout: 'dir' });
    assert.equal(refused.ok, false);
    assert.match(refused.output, /unauthorized|authentication required/i);
    const copied = await skopeoCopy(source, join(dest, 'ok'), { layout: 'dir', srcCreds: `${credentials.username}:${credentials.password}` });
    assert.ok(copied.ok, copied.output);
    assert.deepEqual(copiedImageProblems(await readCopiedImage(join(dest, 'ok'), 'dir'), images.alpine, 'dir'), []);
  });
});

describe('several daemons', () => {
  test('two dockerd instances run side by side and both pull', async (t) => {
    const [a, b] = await Promise.all([startDockerd({ mirrors: [registry.url] }), startDockerd({ mirrors: [registry.url] })]);
    t.after(() => Promise.all([a.stop(), b.stop()]));
    assert.notEqual(a.socket, b.socket);
    const pulls = await Promise.all([a.pull(ALPINE), b.pull('docker.io/dockmirror/shared-a:1')]);
    for (const pulled of pulls) assert.ok(pulled.ok, pulled.output);
    assert.deepEqual(await dockerImageProblems(a, ALPINE, images.alpine), []);
    assert.deepEqual(await dockerImageProblems(b, 'docker.io/dockmirror/shared-a:1', images.sharedA), []);
    assert.equal(await a.imageInspect('docker.io/dockmirror/shared-a:1'), null);
  });
});
