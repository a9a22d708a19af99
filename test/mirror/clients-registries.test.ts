// Real clients pulling from two registries through one mirror (issue 13): the Docker Hub
// stand-in as docker.io and a distribution with its own realm as ghcr.io. Every client config
// is the mirror's own generated snippet; the upstreams' counters prove each got only its own
// requests. The mirror runs without `registryName`: its docker.io upstream is a URL other than
// Docker Hub's (a team mirror), which once made it refuse containerd's ?ns=docker.io.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror, type MirrorEngine } from '../../mirror/index.js';
import { hostSnippets } from '../../main/shared/snippets.js';
import {
  containerdImageProblems,
  copiedImageProblems,
  dockerImageProblems,
  readCopiedImage,
  skopeoCopy,
  startContainerd,
  startDockerd,
  startPodmanHost,
} from '../support/clients/index.js';
import { repositoriesSeen, startSecondUpstream, type SecondUpstream } from '../support/second-upstream.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let hub: TestUpstream;
let ghcr: SecondUpstream;
let mirror: MirrorEngine;
let mirrorUrl: string;
let hostPort: string;
let workDir: string;

before(async () => {
  [hub, ghcr] = await Promise.all([startTestUpstream(), startSecondUpstream()]);
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-clients-registries-'));
  mirror = createMirror({ cacheDir: join(workDir, 'cache'), upstream: hub.url, registries: [{ name: 'ghcr.io', upstream: ghcr.url }], minFreeBytes: 0 });
  const { port } = await mirror.start({ host: '127.0.0.1', port: 0 });
  mirrorUrl = `http://127.0.0.1:${port}`;
  hostPort = `127.0.0.1:${port}`;
});

after(async () => {
  await mirror?.stop();
  await ghcr?.close();
  await hub?.close();
  await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
});

const registries = ['docker.io', 'ghcr.io'];
const snippet = (id: string) => hostSnippets([mirrorUrl], registries).find((s) => s.id === id)!;

function resetCounters(): void {
  hub.hub.resetStats();
  ghcr.hub.resetStats();
}

/** Each upstream saw exactly its own repositories (the ones this test pulled, cold or warm). */
function assertOwnRequestsOnly(dockerIo: string[], ghcrIo: string[]): void {
  for (const repository of repositoriesSeen(hub.hub)) assert.ok(dockerIo.includes(repository), `Docker Hub was asked for ${repository}`);
  for (const repository of repositoriesSeen(ghcr.hub)) assert.ok(ghcrIo.includes(repository), `ghcr.io was asked for ${repository}`);
}

test('ctr images pull --hosts-dir with the generated hosts.toml files pulls docker.io and ghcr.io images through the mirror (docker.io from a team-mirror URL)', async (t) => {
  const hostsDir = join(workDir, 'certs.d');
  for (const file of snippet('containerd').files!) {
    const path = join(hostsDir, file.path.replace('/etc/containerd/certs.d/', ''));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
  const containerd = await startContainerd();
  t.after(() => containerd.stop());
  resetCounters();
  const requestsBefore = mirror.status().counters.requests;
  const alpineRef = 'docker.io/library/alpine-test:latest';
  const appRef = `ghcr.io/${ghcr.image.repository}:${ghcr.image.tag}`;
  for (const ref of [alpineRef, appRef]) {
    const result = await containerd.pull(ref, { hostsDir, snapshotter: 'native' });
    assert.ok(result.ok, `ctr pull ${ref} failed:\n${result.output}`);
  }
  assert.deepEqual(await containerdImageProblems(containerd, alpineRef, hub.images.alpine), []);
  assert.deepEqual(await containerdImageProblems(containerd, appRef, ghcr.image), []);
  assert.ok(mirror.status().counters.requests > requestsBefore, 'the pulls went through the mirror');
  assert.deepEqual([...repositoriesSeen(hub.hub)], ['library/alpine-test']);
  assert.deepEqual([...repositoriesSeen(ghcr.hub)], [ghcr.image.repository]);
});

test('podman with the generated registries.conf pulls both', async (t) => {
  const podman = await startPodmanHost(snippet('podman').text);
  t.after(() => podman.remove());
  resetCounters();
  for (const [ref, digest] of [['docker.io/dockmirror/shared-a:1', hub.images.sharedA.digest], [`ghcr.io/${ghcr.image.repository}:${ghcr.image.tag}`, ghcr.image.digest]] as const) {
    const result = await podman.pull(ref);
    assert.ok(result.ok, `podman pull ${ref} failed:\n${result.output}`);
    assert.equal(await podman.digestOf(ref), digest, ref);
  }
  assertOwnRequestsOnly(['dockmirror/shared-a'], [ghcr.image.repository]);
});

test('dockerd pulls docker.io through registry-mirrors and a ghcr.io image by prefix, with the generated daemon.json', async (t) => {
  const config = JSON.parse(snippet('docker').text) as { 'registry-mirrors': string[]; 'insecure-registries': string[] };
  assert.deepEqual(config['insecure-registries'], [hostPort]);
  const dockerd = await startDockerd({ mirrors: config['registry-mirrors'], daemonConfig: { 'insecure-registries': config['insecure-registries'] } });
  t.after(() => dockerd.stop());
  resetCounters();
  const shared = await dockerd.pull('dockmirror/shared-b:1');
  assert.ok(shared.ok, `docker pull dockmirror/shared-b:1 failed:\n${shared.output}`);
  assert.deepEqual(await dockerImageProblems(dockerd, 'dockmirror/shared-b:1', hub.images.sharedB), []);
  const prefixed = `${hostPort}/ghcr.io/${ghcr.image.repository}:${ghcr.image.tag}`;
  const app = await dockerd.pull(prefixed);
  assert.ok(app.ok, `docker pull ${prefixed} failed:\n${app.output}`);
  assert.deepEqual(await dockerImageProblems(dockerd, prefixed, ghcr.image), []);
  assertOwnRequestsOnly(['dockmirror/shared-b'], [ghcr.image.repository]);
});

test('skopeo copies both, byte-exact', async (t) => {
  resetCounters();
  for (const [source, expected] of [[`docker://${hostPort}/library/alpine-test:latest`, hub.images.alpine], [`docker://${hostPort}/ghcr.io/${ghcr.image.repository}:${ghcr.image.tag}`, ghcr.image]] as const) {
    const destination = await mkdtemp(join(tmpdir(), 'dockmirror-skopeo-'));
    t.after(() => rm(destination, { recursive: true, force: true }));
    const result = await skopeoCopy(source, destination, { layout: 'dir' });
    assert.ok(result.ok, `skopeo copy ${source} failed:\n${result.output}`);
    assert.deepEqual(copiedImageProblems(await readCopiedImage(destination, 'dir'), expected, 'dir'), [], source);
  }
  assertOwnRequestsOnly(['library/alpine-test'], [ghcr.image.repository]);
});
