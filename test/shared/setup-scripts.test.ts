// Issue 14's setup scripts, for real: a LAN host (a network namespace) fetches them from the
// mirror over its veth address with curl and runs them with dash against real files; the files
// they write are then used by dockerd, ctr and podman to pull through the mirror. shellcheck
// judges every generated script.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorEvent } from '../../mirror/index.js';
import { hostReportFromEvent, type HostReport } from '../../main/shared/setup/host-report.js';
import { ConnectedHosts } from '../../main/core/connected-hosts.js';
import { createSetupRoutes } from '../../main/shared/setup/setup-routes.js';
import { createLanHost, requireBinary, runCommand, startContainerd, startDockerd, type LanHost } from '../support/clients/index.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

const runtimes = ['docker', 'containerd', 'podman', 'k3s'] as const;
const DASH = '/usr/bin/dash';
const CURL = '/usr/bin/curl';
const SHELLCHECK = '/usr/bin/shellcheck';

let upstream: TestUpstream;
let lan: LanHost;
let mirror: MirrorEngine;
let mirrorUrl: string;
let workDir: string;
const events: MirrorEvent[] = [];
/** Setup reports, as the engine passed them to its subscribers. */
const reportsIn = (list: readonly MirrorEvent[]): HostReport[] =>
  list.flatMap((event) => (event.type === 'host-route' ? [hostReportFromEvent(event)].filter((r): r is HostReport => r !== null) : []));

before(async () => {
  for (const binary of [DASH, CURL, SHELLCHECK]) await requireBinary(binary);
  upstream = await startTestUpstream();
  lan = await createLanHost();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-setup-'));
  mirror = createMirror({
    cacheDir: join(workDir, 'cache'),
    upstream: upstream.url,
    registryName: 'docker.io',
    minFreeBytes: 0,
    hostRoutes: createSetupRoutes({
      ownAddresses: () => [lan.hostAddress],
      registries: () => ['docker.io'],
      loginRequired: () => false,
    }),
  });
  mirror.subscribe((event) => events.push(event));
  const { port } = await mirror.start({ host: lan.hostAddress, port: 0 });
  mirrorUrl = `http://${lan.hostAddress}:${port}`;
});

after(async () => {
  await mirror?.stop();
  await lan?.destroy();
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Fetches a script from inside the namespace, as a LAN host would, into a file of the work dir. */
async function fetchScript(runtime: string, extraCurlArgs: readonly string[] = []): Promise<{ path: string; text: string }> {
  // Readable by anyone, for the run as an unprivileged user.
  await chmod(workDir, 0o755);
  const path = join(workDir, `setup-${runtime}-${Math.random().toString(16).slice(2)}.sh`);
  const fetched = await lan.exec(CURL, ['-fsSL', ...extraCurlArgs, '-o', path, `${mirrorUrl}/setup/${runtime}`]);
  assert.ok(fetched.ok, fetched.output);
  await chmod(path, 0o644);
  return { path, text: await readFile(path, 'utf8') };
}

/** Runs a script with dash inside the namespace. */
function runScript(path: string, args: readonly string[]): ReturnType<LanHost['exec']> {
  return lan.exec(DASH, [path, ...args]);
}

describe('the scripts as served', () => {
  test('each names the address the host used, passes shellcheck and parses under dash', async () => {
    for (const runtime of runtimes) {
      const { path, text } = await fetchScript(runtime);
      assert.ok(text.startsWith('#!/bin/sh\n'), runtime);
      assert.ok(text.includes(`MIRROR='${mirrorUrl}'`), `${runtime} does not name ${mirrorUrl}`);
      const lint = await runCommand(SHELLCHECK, ['--shell=sh', '--severity=info', path]);
      assert.ok(lint.ok, `shellcheck on the ${runtime} script:\n${lint.output}`);
      const parsed = await runCommand(DASH, ['-n', path]);
      assert.ok(parsed.ok, `dash -n on the ${runtime} script:\n${parsed.output}`);
    }
  });

  test('a Host header that is not one of the mirror\'s addresses is never written into a script', async () => {
    const port = new URL(mirrorUrl).port;
    for (const host of [`evil.example:${port}`, `10.9.9.9:${port}`, `${lan.hostAddress}:1`, `x';reboot;'`]) {
      const { text } = await fetchScript('docker', ['-H', `Host: ${host}`]);
      assert.ok(text.includes(`MIRROR='${mirrorUrl}'`), host);
      assert.ok(!text.includes(host), `${host} was reflected into the script`);
    }
  });

  test('the index lists the one-liners; unknown paths and methods get plain sentences', async () => {
    const index = await lan.exec(CURL, ['-fsS', `${mirrorUrl}/setup`]);
    assert.ok(index.ok, index.output);
    for (const runtime of runtimes) assert.ok(index.stdout.includes(`curl -fsSL '${mirrorUrl}/setup/${runtime}' | sudo sh`), index.stdout);
    const unknown = await lan.exec(CURL, ['-sS', '-w', '\n%{http_code}', `${mirrorUrl}/setup/nomad`]);
    assert.match(unknown.stdout, /No such setup page[\s\S]*\n404$/);
    const posted = await lan.exec(CURL, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary', 'x', `${mirrorUrl}/setup/docker`]);
    assert.equal(posted.stdout, '405');
    const huge = await lan.exec(DASH, ['-c', `head -c 400000 /dev/zero | ${CURL} -sS -o /dev/null -w '%{http_code}' --data-binary @- ${mirrorUrl}/setup/docker/merge`]);
    assert.equal(huge.stdout, '413');
  });
});

describe('the docker script against daemon.json files', () => {
  const others = { 'log-level': 'warn', 'max-concurrent-downloads': 2, features: { buildkit: false }, 'registry-mirrors': ['http://10.1.2.3:5000'] };

  async function rootWith(name: string, daemonJson: string | null): Promise<{ root: string; file: string }> {
    const root = join(workDir, `root-${name}`);
    await mkdir(join(root, 'etc/docker'), { recursive: true });
    const file = join(root, 'etc/docker/daemon.json');
    if (daemonJson !== null) await writeFile(file, daemonJson);
    return { root, file };
  }

  const backups = async (root: string): Promise<string[]> => (await readdir(join(root, 'etc/docker'))).filter((name) => name.startsWith('daemon.json.bak-'));

  test('other keys kept, the mirror once and first, a backup, and a second run changes nothing', async () => {
    const original = JSON.stringify(others, null, 4);
    const { root, file } = await rootWith('others', original);
    const { path } = await fetchScript('docker');
    const first = await runScript(path, ['--root', root]);
    assert.equal(first.code, 0, first.output);
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written, { ...others, 'registry-mirrors': [mirrorUrl, 'http://10.1.2.3:5000'] });
    const [backup, ...more] = await backups(root);
    assert.equal(more.length, 0);
    assert.equal(await readFile(join(root, 'etc/docker', backup!), 'utf8'), original);
    assert.match(first.stdout, /Changed: .*daemon\.json/);
    assert.match(first.stdout, /To apply the change, run: systemctl restart docker/);
    assert.deepEqual((await readdir(join(root, 'etc/docker'))).filter((name) => name.includes('tmp')), []);

    const before = await readFile(file, 'utf8');
    const second = await runScript(path, ['--root', root]);
    assert.equal(second.code, 0, second.output);
    assert.equal(await readFile(file, 'utf8'), before);
    assert.equal((await backups(root)).length, 1);
    assert.match(second.stdout, /Unchanged: .*already names/);
    assert.doesNotMatch(second.stdout, /To apply the change/);
  });

  test('a file that already names the mirror is left byte for byte', async () => {
    const original = `{"registry-mirrors": ["${mirrorUrl}/"], "debug": true}\n`;
    const { root, file } = await rootWith('present', original);
    const { path } = await fetchScript('docker');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    assert.equal(await readFile(file, 'utf8'), original);
    assert.deepEqual(await backups(root), []);
  });

  test('invalid JSON: exit non-zero with its line and column, the file untouched', async () => {
    const original = '{\n  "debug": true,\n  // a comment\n}\n';
    const { root, file } = await rootWith('invalid', original);
    const { path } = await fetchScript('docker');
    const run = await runScript(path, ['--root', root]);
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.stderr, /daemon\.json, line 3, column 3: Comments are not allowed/);
    assert.equal(await readFile(file, 'utf8'), original);
    assert.deepEqual(await readdir(join(root, 'etc/docker')), ['daemon.json']);
  });

  test('no file at all: it is created with the mirror, and a refusal without root and --root', async () => {
    const { root, file } = await rootWith('none', null);
    const { path } = await fetchScript('docker');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { 'registry-mirrors': [mirrorUrl] });
    const unprivileged = await runCommand('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', DASH, path]);
    assert.equal(unprivileged.code, 1, unprivileged.output);
    assert.match(unprivileged.stderr, /run it as root/);
  });

  test('dockerd in the namespace pulls through the mirror with the written file; the host reported itself', async (t) => {
    const { root, file } = await rootWith('dockerd', JSON.stringify({ 'log-level': 'warn', 'max-concurrent-downloads': 2 }));
    const { path } = await fetchScript('docker');
    const run = await runScript(path, ['--root', root]);
    assert.equal(run.code, 0, run.output);
    const { 'registry-mirrors': mirrors, ...rest } = JSON.parse(await readFile(file, 'utf8')) as { 'registry-mirrors': string[] };
    const dockerd = await startDockerd({ mirrors, daemonConfig: rest, netns: lan.name });
    t.after(() => dockerd.stop());
    const pulled = await dockerd.pull('alpine-test:latest');
    assert.ok(pulled.ok, pulled.output);
    const fromHost = events.filter((e) => e.type === 'request' && e.client === lan.lanAddress && e.kind === 'blob' && e.status === 200);
    assert.ok(fromHost.length >= 2, 'the namespace pulled its blobs through the mirror');
    const report = reportsIn(events).find((r) => r.runtime === 'docker' && r.root === root);
    assert.ok(report, JSON.stringify(reportsIn(events)));
    assert.equal(report.client, lan.lanAddress);
    assert.equal(report.allowed, true);
    assert.match(report.version, /^\d+\.\d+/);
    assert.match(report.configured, /daemon\.json/);

    // The connected-hosts list, from the same events, written to a data folder and read back as after a restart.
    await waitFor(() => events.some((e) => e.type === 'pull' && e.client === lan.lanAddress), 'the pull summary from the LAN host');
    const dataDir = join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const hosts = new ConnectedHosts(dataDir);
    for (const event of events) hosts.record(event);
    await hosts.save();
    const restarted = new ConnectedHosts(dataDir);
    await restarted.load();
    const listed = restarted.list().find((h) => h.address === lan.lanAddress);
    assert.ok(listed, JSON.stringify(restarted.list()));
    assert.equal(listed.runtime, 'docker');
    assert.equal(listed.version, report.version);
    assert.ok(listed.setUpAt && listed.lastPullAt, JSON.stringify(listed));
    assert.ok(listed.pulls >= 1 && listed.bytesServed > 0, JSON.stringify(listed));
    assert.equal(listed.refused, false);
  });
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
});
