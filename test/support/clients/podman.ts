// podman as a LAN host runs it: a registries.conf (the mirror's generated snippet) and a pull,
// in private storage under a temp dir so the machine's own podman state is never touched.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, runCommand, type CommandResult } from './process.js';

export const PODMAN_BINARY = '/usr/bin/podman';

export interface PodmanHost {
  pull(image: string): Promise<CommandResult>;
  /** The manifest digest podman recorded for an image it pulled. */
  digestOf(image: string): Promise<string>;
  remove(): Promise<void>;
}

export async function startPodmanHost(registriesConf: string): Promise<PodmanHost> {
  await requireBinary(PODMAN_BINARY);
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-podman-'));
  await mkdir(join(dir, 'root'));
  await mkdir(join(dir, 'runroot'));
  const confPath = join(dir, 'registries.conf');
  // Short names stay unresolved: the test names every image with its registry.
  await writeFile(confPath, `short-name-mode = "disabled"\n\n${registriesConf}`);
  const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: confPath, CONTAINERS_REGISTRIES_CONF_DIR: join(dir, 'none') };
  const podman = (args: string[]): Promise<CommandResult> =>
    runCommand(PODMAN_BINARY, ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args], { env, timeoutMs: 180_000 });
  return {
    pull: (image) => podman(['pull', '--quiet', image]),
    digestOf: async (image) => (await podman(['image', 'inspect', '--format', '{{.Digest}}', image])).stdout.trim(),
    // vfs keeps plain folders, nothing mounted: removing the temp dir removes everything.
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
