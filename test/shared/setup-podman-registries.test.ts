// Podman through the mirror for a registry other than docker.io: the podman script's drop-in,
// fetched from a LAN namespace and written with --root, must send podman to the mirror for
// ghcr.io too (the registry's name as a path prefix), so the pull reaches the second upstream
// through the mirror and never goes around it. The scripts come from the routes the app and the
// CLI serve (setupRoutesForEngine), so the registries are the engine's own enabled ones.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setupRoutesForEngine } from '../../main/core/engine-setup-routes.js';
import { createMirror, type MirrorEngine, type MirrorEvent } from '../../mirror/index.js';
import { createLanHost, requireBinary, runCommand, type LanHost } from '../support/clients/index.js';
import { repositoriesSeen, startSecondUpstream, type SecondUpstream } from '../support/second-upstream.js';
import { CURL, DASH } from '../support/setup-lan.js';

let ghcr: SecondUpstream;
let lan: LanHost;
let workDir: string;
let mirror: MirrorEngine;
let mirrorUrl: string;
const events: MirrorEvent[] = [];

before(async () => {
  for (const binary of ['/usr/bin/podman', DASH, CURL]) await requireBinary(binary);
  ghcr = await startSecondUpstream();
  lan = await createLanHost();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-podman-ghcr-'));
  await chmod(workDir, 0o755);
  const options = { cacheDir: join(workDir, 'cache'), upstream: ghcr.url, registryName: 'docker.io', defaultRegistries: false, registries: [{ name: 'ghcr.io', upstream: ghcr.url }], minFreeBytes: 0 };
  mirror = createMirror({ ...options, hostRoutes: setupRoutesForEngine(options, () => mirror) });
  mirror.subscribe((event) => events.push(event));
  const { port } = await mirror.start({ host: lan.hostAddress, port: 0 });
  mirrorUrl = `http://${lan.hostAddress}:${port}`;
});

after(async () => {
  await mirror?.stop();
  await lan?.destroy();
  await ghcr?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('podman pulls a ghcr.io image through the mirror with the podman script\'s drop-in', async () => {
  const root = join(workDir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  // The machine's own containers config (its policy), with the drop-in written into the copy.
  await runCommand('/bin/cp', ['-r', '/etc/containers', join(root, 'etc')]);
  await rm(join(root, 'etc/containers/registries.conf.d'), { recursive: true, force: true });
  const script = join(workDir, 'setup-podman.sh');
  const fetched = await lan.exec(CURL, ['-fsSL', '-o', script, `${mirrorUrl}/setup/podman`]);
  assert.ok(fetched.ok, fetched.output);
  await chmod(script, 0o644);
  const run = await lan.exec(DASH, [script, '--root', root]);
  assert.equal(run.code, 0, run.output);
  const dropIn = await readFile(join(root, 'etc/containers/registries.conf.d/50-dockmirror.conf'), 'utf8');
  assert.match(dropIn, /prefix = "ghcr\.io"/, dropIn);

  const image = `ghcr.io/${ghcr.image.repository}:${ghcr.image.tag}`;
  const storage = join(workDir, 'storage');
  const since = events.length;
  // A mount namespace shows podman the copy as /etc/containers; the machine's own stays untouched.
  const pulled = await lan.exec('/usr/bin/unshare', [
    '-m', '/bin/sh', '-c',
    'mount --bind "$1/etc/containers" /etc/containers && exec podman --root "$2/root" --runroot "$2/run" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file pull -q "$3"',
    'sh', root, storage, image,
  ]);
  await runCommand('/bin/rm', ['-rf', storage]);
  assert.ok(pulled.ok, `${pulled.output}\n--- drop-in ---\n${dropIn}`);
  const throughMirror = events.slice(since).filter((e) => e.type === 'request' && e.client === lan.lanAddress && e.status === 200 && e.registry === 'ghcr.io');
  assert.ok(throughMirror.some((e) => e.type === 'request' && e.kind === 'manifest' && e.repository === ghcr.image.repository), 'the manifest came through the mirror as ghcr.io');
  assert.ok(throughMirror.filter((e) => e.type === 'request' && e.kind === 'blob').length >= 2, 'the blobs came through the mirror');
  assert.ok(repositoriesSeen(ghcr.hub).has(ghcr.image.repository), 'the mirror fetched it from the ghcr.io upstream');
});
