// Debian's dockerd (20.10) as a private daemon for one test file: own data root, exec root, socket,
// pidfile and daemon.json in a temp dir, vfs storage, no iptables or bridge, and its own private
// containerd (passed with --containerd). Left alone, dockerd 20.10 adopts a system containerd when
// /run/containerd/containerd.sock exists; a private one keeps parallel daemons and the host apart.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainerd, type RunningContainerd } from './containerd.js';
import { removeStaleDaemonDirs, writeOwner } from './stale-sweep.js';
import { requireBinary, runCommand, spawnDaemon, unmountUnder, waitForDaemon, type CommandResult } from './process.js';

export const DOCKERD_BINARY = '/usr/sbin/dockerd';
/** Debian's 20.10 client; /usr/local/bin/docker is a different, newer client. */
export const DOCKER_CLIENT = '/usr/bin/docker';

export interface StartDockerdOptions {
  /** `registry-mirrors` entries, e.g. `http://127.0.0.1:5000` (scheme required, no path). */
  mirrors: readonly string[];
  /** Run dockerd inside this network namespace (by name, as `createLanHost().name`). */
  netns?: string;
  /** Extra daemon.json keys (e.g. `insecure-registries`), merged over the defaults. */
  daemonConfig?: Record<string, unknown>;
  /** How long to wait for `docker info`, in ms. Default 60 000. */
  readyTimeoutMs?: number;
}

export interface PullResult {
  ok: boolean;
  /** What `docker pull` printed (stdout and stderr). */
  output: string;
}

/** The parts of `docker image inspect` the tests compare. */
export interface ImageInspect {
  /** The image ID, which is the config blob's digest. */
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Architecture: string;
  Os: string;
  RootFS: { Type: string; Layers: string[] };
}

export interface DockerInfo {
  RegistryConfig: { Mirrors: string[] | null };
  Driver: string;
  [key: string]: unknown;
}

export interface RunningDockerd {
  /** The daemon socket path; `unix://` + socket is the -H value. */
  socket: string;
  /** The temp dir holding data, exec root, config and logs. */
  dir: string;
  /** Runs `/usr/bin/docker -H unix://<socket> <args>`. */
  docker(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  pull(image: string): Promise<PullResult>;
  /** `docker image inspect`; null when the image is not there. */
  imageInspect(image: string): Promise<ImageInspect | null>;
  /** `docker rmi -f`; true when something was removed. */
  removeImage(image: string): Promise<boolean>;
  info(): Promise<DockerInfo>;
  /** `docker save image -o <file>` into the daemon's temp dir; returns the tar's path. */
  save(image: string): Promise<string>;
  /**
   * Makes the client send these credentials with pulls of docker.io images. dockerd hands the
   * docker.io credentials to its registry mirrors too, so this is how a LAN host logs in to a mirror
   * with client authentication. Written to the client's private config dir, never to argv.
   */
  setHubCredentials(username: string, password: string): Promise<void>;
  /** dockerd's own log tail. */
  log(): string;
  /** Stops dockerd and its containerd and removes the temp dir (vfs data included). Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts dockerd and waits until `docker info` answers. */
export async function startDockerd(options: StartDockerdOptions): Promise<RunningDockerd> {
  await requireBinary(DOCKERD_BINARY);
  await requireBinary(DOCKER_CLIENT);
  if (options.netns !== undefined) await requireBinary('/usr/bin/nsenter');
  await removeStaleDaemonDirs('dmx-dockerd-');
  // Directly under the temp dir: the sockets under exec root must fit the 108-byte unix path limit.
  const dir = await mkdtemp(join(tmpdir(), 'dmx-dockerd-'));
  const socket = join(dir, 'docker.sock');
  let containerd: RunningContainerd | undefined;
  let daemon: ReturnType<typeof spawnDaemon> | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        await daemon?.stop(20_000);
      } finally {
        await containerd?.stop();
        await unmountUnder(dir);
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    })();
    return stopped;
  };
  const docker = (args: readonly string[], timeoutMs = 180_000): Promise<CommandResult> =>
    runCommand(DOCKER_CLIENT, ['-H', `unix://${socket}`, ...args], { timeoutMs, env: { ...process.env, DOCKER_CONFIG: join(dir, 'client') } });
  try {
    // The config file, not --registry-mirror flags: it is what users edit, and `docker info`
    // shows the same list either way.
    const config = { 'registry-mirrors': [...options.mirrors], ...options.daemonConfig };
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    await mkdir(join(dir, 'client'), { recursive: true });
    containerd = await startContainerd();
    const args = [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '-H', `unix://${socket}`,
      '--pidfile', join(dir, 'docker.pid'),
      '--config-file', join(dir, 'daemon.json'),
      '--containerd', containerd.address,
      '--containerd-namespace', `dmx-${process.pid}`,
      '--containerd-plugins-namespace', `dmx-plugins-${process.pid}`,
    ];
    daemon =
      options.netns === undefined
        ? spawnDaemon(DOCKERD_BINARY, args)
        : spawnDaemon('/usr/bin/nsenter', [`--net=/var/run/netns/${options.netns}`, DOCKERD_BINARY, ...args]);
    await writeOwner(dir, daemon.child.pid);
    await waitForDaemon('dockerd', daemon, async () => (await docker(['info', '--format', '{{.ID}}'], 10_000)).ok, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const running = daemon;
  return {
    socket,
    dir,
    docker,
    pull: async (image) => {
      const result = await docker(['pull', image]);
      return { ok: result.ok, output: result.output };
    },
    imageInspect: async (image) => {
      const result = await docker(['image', 'inspect', image]);
      if (!result.ok) {
        if (/no such image/i.test(result.output)) return null;
        throw new Error(`docker image inspect ${image} failed:\n${result.output}`);
      }
      const parsed = JSON.parse(result.stdout) as ImageInspect[];
      return parsed[0] ?? null;
    },
    removeImage: async (image) => (await docker(['rmi', '-f', image])).ok,
    info: async () => {
      const result = await docker(['info', '--format', '{{json .}}']);
      if (!result.ok) throw new Error(`docker info failed:\n${result.output}`);
      return JSON.parse(result.stdout) as DockerInfo;
    },
    save: async (image) => {
      const file = join(dir, `save-${Date.now()}-${Math.random().toString(16).slice(2)}.tar`);
      const result = await docker(['save', '-o', file, image]);
      if (!result.ok) throw new Error(`docker save ${image} failed:\n${result.output}`);
      return file;
    },
    setHubCredentials: async (username, password) => {
      const auth = Buffer.from(`${username}:${password}`).toString('base64');
      const config = { auths: { 'https://index.docker.io/v1/': { auth } } };
      await writeFile(join(dir, 'client', 'config.json'), JSON.stringify(config), { mode: 0o600 });
    },
    log: () => running.log(),
    stop,
  };
}
