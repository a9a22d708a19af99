// Issue 14's setup scripts for containerd, podman and k3s, for real: the files the scripts write
// from a LAN namespace are used by ctr and podman to pull through the mirror; a host the allowlist
// refuses is told the entry to add.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMirror, type MirrorEvent } from '../../mirror/index.js';
import { ConnectedHosts } from '../../main/core/connected-hosts.js';
import { createSetupRoutes } from '../../main/shared/setup/setup-routes.js';
import { requireBinary, runCommand, startContainerd, type LanHost } from '../support/clients/index.js';
import { CURL, reportsIn, startSetupLan, type SetupLan } from '../support/setup-lan.js';

let env: SetupLan;
let lan: LanHost;
let mirrorUrl: string;
let workDir: string;
let events: MirrorEvent[];
let upstream: SetupLan['upstream'];
let fetchScript: SetupLan['fetchScript'];
let runScript: SetupLan['runScript'];

before(async () => {
  env = await startSetupLan();
  ({ lan, mirrorUrl, workDir, events, upstream, fetchScript, runScript } = env);
});

after(async () => {
  await env?.close();
});

describe('containerd and podman with the files their scripts write', () => {
  const ALPINE = 'docker.io/library/alpine-test:latest';
  const pulledByLanHost = (since: number): MirrorEvent[] =>
    events.slice(since).filter((e) => e.type === 'request' && e.client === lan.lanAddress && e.kind === 'blob' && e.status === 200);

  test('ctr --hosts-dir with the script\'s certs.d pulls through the mirror; config_path is named when missing', async (t) => {
    const root = join(workDir, 'root-containerd');
    const { path } = await fetchScript('containerd');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, /config_path = "\/etc\/containerd\/certs\.d"/);
    const again = await runScript(path, ['--root', root]);
    assert.match(again.stdout, /Unchanged: .*certs\.d\/docker\.io\/hosts\.toml/);
    assert.doesNotMatch(again.stdout, /Changed:/);
    const containerd = await startContainerd({ netnsPath: lan.nsPath });
    t.after(() => containerd.stop());
    const since = events.length;
    const pulled = await containerd.pull(ALPINE, { hostsDir: join(root, 'etc/containerd/certs.d') });
    assert.ok(pulled.ok, pulled.output);
    // ctr fetches in its own process, which runs on this side of the veth; the daemon is the LAN host's.
    const blobs = events.slice(since).filter((e) => e.type === 'request' && e.kind === 'blob' && e.status === 200);
    assert.ok(blobs.length >= 2, 'ctr fetched its blobs from the mirror');
    assert.ok(reportsIn(events).some((r) => r.runtime === 'containerd' && /^\d+\.\d+/.test(r.version)), JSON.stringify(reportsIn(events)));
  });

  test('a hosts.toml Dockmirror did not write is left alone, with the text to merge', async () => {
    const root = join(workDir, 'root-containerd-foreign');
    const file = join(root, 'etc/containerd/certs.d/docker.io/hosts.toml');
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, 'server = "https://registry-1.docker.io"\n');
    const { path } = await fetchScript('containerd');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 1, run.output);
    assert.match(run.stderr, /was not written by Dockmirror/);
    assert.equal(await readFile(file, 'utf8'), 'server = "https://registry-1.docker.io"\n');
  });

  test('podman in the namespace pulls through the mirror with the drop-in', async () => {
    await requireBinary('/usr/bin/podman');
    const root = join(workDir, 'root-podman');
    await mkdir(join(root, 'etc'), { recursive: true });
    // The host's own containers config, so podman finds its policy; the drop-in goes into the copy.
    await runCommand('/bin/cp', ['-r', '/etc/containers', join(root, 'etc')]);
    await rm(join(root, 'etc/containers/registries.conf.d'), { recursive: true, force: true });
    const { path } = await fetchScript('podman');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    const since = events.length;
    const storage = join(workDir, 'podman-storage');
    // A mount namespace shows podman the copy as /etc/containers; the machine's own stays untouched.
    const pulled = await lan.exec('/usr/bin/unshare', [
      '-m', '/bin/sh', '-c',
      'mount --bind "$1/etc/containers" /etc/containers && exec podman --root "$2/root" --runroot "$2/run" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file pull -q "$3"',
      'sh', root, storage, ALPINE,
    ]);
    await runCommand('/bin/rm', ['-rf', storage]);
    assert.ok(pulled.ok, pulled.output);
    assert.ok(pulledByLanHost(since).length >= 2, 'podman fetched its blobs from the mirror');
    assert.ok(reportsIn(events).some((r) => r.runtime === 'podman'), JSON.stringify(reportsIn(events)));
  });

  test('k3s: registries.yaml names the mirror for docker.io', async () => {
    const root = join(workDir, 'root-k3s');
    const { path } = await fetchScript('k3s');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    const yaml = await readFile(join(root, 'etc/rancher/k3s/registries.yaml'), 'utf8');
    assert.match(yaml, new RegExp(`^mirrors:\\n  docker\\.io:\\n    endpoint:\\n      - "${mirrorUrl.replace(/\./g, '\\.')}"$`, 'm'));
  });
});

test('a host the allowlist refuses still gets the script, which names the entry to add and exits 3', async (t) => {
  const refusedEvents: MirrorEvent[] = [];
  const refusing = createMirror({
    cacheDir: join(workDir, 'cache-refusing'),
    upstream: upstream.url,
    registryName: 'docker.io',
    minFreeBytes: 0,
    allowlist: ['127.0.0.0/8'],
    hostRoutes: createSetupRoutes({ ownAddresses: () => [lan.hostAddress], registries: () => ['docker.io'], loginRequired: () => true }),
  });
  refusing.subscribe((event) => refusedEvents.push(event));
  const { port } = await refusing.start({ host: lan.hostAddress, port: 0 });
  t.after(() => refusing.stop());
  const script = join(workDir, 'refused.sh');
  const fetched = await lan.exec(CURL, ['-fsSL', '-o', script, `http://${lan.hostAddress}:${port}/setup/docker`]);
  assert.ok(fetched.ok, fetched.output);
  const text = await readFile(script, 'utf8');
  assert.match(text, new RegExp(`docker login ${lan.hostAddress.replace(/\./g, '\\.')}:${port}`));
  const root = join(workDir, 'root-refused');
  const run = await runScript(script, ['--root', root]);
  assert.equal(run.code, 3, run.output);
  assert.ok(run.stdout.includes(`The mirror refuses this host's address ${lan.lanAddress}. Add ${lan.lanAddress}/32`), run.output);
  assert.equal(reportsIn(refusedEvents)[0]?.allowed, false);
  const hosts = new ConnectedHosts(workDir);
  for (const event of refusedEvents) hosts.record(event);
  const listed = hosts.list().find((h) => h.address === lan.lanAddress);
  assert.equal(listed?.refused, true, JSON.stringify(hosts.list()));
  assert.equal(listed?.fix, `Add ${lan.lanAddress}/32 (or its network) to the allowlist in Settings.`);
  // A host refused while pulling, which never ran a script, is listed too: from its refused requests alone.
  const fromRequests = new ConnectedHosts(workDir);
  for (const event of refusedEvents) if (event.type === 'request') fromRequests.record(event);
  assert.equal(fromRequests.list().find((h) => h.address === lan.lanAddress)?.refused, true, JSON.stringify(refusedEvents.filter((e) => e.type === 'request')));
});
