// Issue 14's setup scripts, for real: a LAN host (a network namespace) fetches them from the
// mirror over its veth address with curl and runs them with dash against real files, and dockerd
// in the namespace pulls through the mirror with the daemon.json the docker script wrote.
// shellcheck judges every generated script. (containerd, podman, k3s: setup-runtimes.test.ts.)
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MirrorEvent } from '../../mirror/index.js';
import { ConnectedHosts } from '../../main/core/connected-hosts.js';
import { runCommand, startDockerd, type LanHost } from '../support/clients/index.js';
import { CURL, DASH, reportsIn, SHELLCHECK, startSetupLan, waitFor, type SetupLan } from '../support/setup-lan.js';

const runtimes = ['docker', 'containerd', 'podman', 'k3s'] as const;

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
