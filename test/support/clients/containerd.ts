// A private containerd (own root, state, socket and opt dir in a temp dir, CRI off) and `ctr`
// pulls through a mirror configured the way people configure it: a hosts.toml under a hosts dir.
// It never touches a system containerd under /run/containerd or /var/lib/containerd.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { removeStaleDaemonDirs, writeOwner } from './stale-sweep.js';
import { requireBinary, unmountUnder, runChecked, runCommand, spawnDaemon, waitForDaemon, type CommandResult } from './process.js';

export const CONTAINERD_BINARY = '/usr/bin/containerd';
export const CTR_BINARY = '/usr/bin/ctr';

export interface StartContainerdOptions {
  /** Run inside this network namespace (a path such as /var/run/netns/NAME), via nsenter. */
  netnsPath?: string;
}

export interface CtrPullOptions {
  /** A dir holding `<registry>/hosts.toml` (see writeHostsToml). */
  hostsDir: string;
  /** Snapshotter used to unpack; `native` works everywhere (overlayfs may not inside containers). */
  snapshotter?: string;
  /** Fetch every platform of an index, not only this machine's. */
  allPlatforms?: boolean;
  /** `user:password` for a mirror that asks for a login (ctr takes it as --user; test secrets only). */
  user?: string;
  /** Only this platform (e.g. `linux/arm64`); ctr unpacks only the host platform's layers. */
  platform?: string;
}

export interface ContentItem {
  digest: string;
  size: number;
}

export interface ImageRow {
  ref: string;
  mediaType: string;
  digest: string;
}

export interface RunningContainerd {
  /** The grpc socket (`ctr --address`, `dockerd --containerd`). */
  address: string;
  /** containerd's root dir (content store under io.containerd.content.v1.content). */
  root: string;
  /** `ctr --address … <args>` in the given containerd namespace (default `default`). */
  ctr(args: readonly string[], namespace?: string): Promise<CommandResult>;
  /** `ctr images pull --hosts-dir DIR [--snapshotter S] ref`; ok=false carries the output. */
  pull(ref: string, options: CtrPullOptions): Promise<CommandResult>;
  /** `ctr images ls`, parsed. */
  images(namespace?: string): Promise<ImageRow[]>;
  /** Every blob in the content store (`ctr content ls -q`), with its exact size on disk. */
  content(namespace?: string): Promise<ContentItem[]>;
  /** Re-hashes a blob in the content store; returns its real sha256 digest and size. */
  hashContent(digest: string): Promise<ContentItem>;
  /** `ctr images rm` plus garbage collection, so a second pull has to fetch again. */
  removeImage(ref: string, namespace?: string): Promise<void>;
  log(): string;
  /** Stops containerd and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function configToml(dir: string): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    // CRI would try to set up networking and images for Kubernetes; the tests only pull.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = ${q(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${q(join(dir, 'containerd.sock.ttrpc'))}`,
    '[debug]',
    '  address = ""',
    '  level = "warn"',
    '[metrics]',
    '  address = ""',
    '[plugins]',
    // The default /opt/containerd is machine-wide; several test daemons must not share it.
    '  [plugins."io.containerd.internal.v1.opt"]',
    `    path = ${q(join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

/** Starts a private containerd and waits until `ctr version` answers. */
export async function startContainerd(options: StartContainerdOptions = {}): Promise<RunningContainerd> {
  await requireBinary(CONTAINERD_BINARY);
  await requireBinary(CTR_BINARY);
  if (options.netnsPath !== undefined) await requireBinary('/usr/bin/nsenter');
  await removeStaleDaemonDirs('dmx-ctd-');
  const dir = await mkdtemp(join(tmpdir(), 'dmx-ctd-'));
  const address = join(dir, 'containerd.sock');
  const root = join(dir, 'root');
  const blobPath = (digest: string): string => join(root, 'io.containerd.content.v1.content', 'blobs', ...digest.split(':'));
  try {
    await writeFile(join(dir, 'config.toml'), configToml(dir), { mode: 0o600 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const args = ['--config', join(dir, 'config.toml')];
  const daemon =
    options.netnsPath === undefined
      ? spawnDaemon(CONTAINERD_BINARY, args)
      : spawnDaemon('/usr/bin/nsenter', [`--net=${options.netnsPath}`, CONTAINERD_BINARY, ...args]);
  const ctr = (ctrArgs: readonly string[], namespace = 'default'): Promise<CommandResult> =>
    runCommand(CTR_BINARY, ['--address', address, '--namespace', namespace, ...ctrArgs], { timeoutMs: 180_000 });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await daemon.stop();
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopped;
  };
  try {
    await writeOwner(dir, daemon.child.pid);
    await waitForDaemon('containerd', daemon, async () => (await ctr(['version'])).ok);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    root,
    ctr,
    pull: (ref, pullOptions) => {
      const pullArgs = ['images', 'pull', '--hosts-dir', pullOptions.hostsDir, '--snapshotter', pullOptions.snapshotter ?? 'native'];
      if (pullOptions.allPlatforms === true) pullArgs.push('--all-platforms');
      if (pullOptions.platform !== undefined) pullArgs.push('--platform', pullOptions.platform);
      if (pullOptions.user !== undefined) pullArgs.push('--user', pullOptions.user);
      pullArgs.push(ref);
      return ctr(pullArgs);
    },
    images: async (namespace) => {
      const result = await runChecked(CTR_BINARY, ['--address', address, '--namespace', namespace ?? 'default', 'images', 'ls']);
      return parseRows(result.stdout).map((cols) => ({ ref: cols[0] ?? '', mediaType: cols[1] ?? '', digest: cols[2] ?? '' }));
    },
    content: async (namespace) => {
      // `ctr content ls` prints sizes in rounded human units; the exact size comes from the store.
      const result = await runChecked(CTR_BINARY, ['--address', address, '--namespace', namespace ?? 'default', 'content', 'ls', '--quiet']);
      const digests = result.stdout.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
      return Promise.all(digests.map(async (digest) => ({ digest, size: (await stat(blobPath(digest))).size })));
    },
    hashContent: (digest) => hashFile(blobPath(digest)),
    removeImage: async (ref, namespace) => {
      await runChecked(CTR_BINARY, ['--address', address, '--namespace', namespace ?? 'default', 'images', 'rm', '--sync', ref]);
    },
    log: daemon.log,
    stop,
  };
}

/** Whitespace-separated table rows without the header line. */
function parseRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/));
}

async function hashFile(path: string): Promise<ContentItem> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(path), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export interface HostsTomlOptions {
  /** The registry the config is for; `docker.io` by default. */
  registry?: string;
  /** The registry's real endpoint, used after the mirrors. */
  server?: string;
  /**
   * Make the first mirror the `server` too, so containerd never falls back to the real hub
   * (without a `server` line containerd still appends the registry's default endpoint).
   */
  noFallback?: boolean;
}

/**
 * Writes `DIR/<registry>/hosts.toml` pointing containerd at the given mirror URLs, in order.
 * Returns the hosts dir for `--hosts-dir`.
 */
export async function writeHostsToml(hostsDir: string, mirrorUrls: readonly string[], options: HostsTomlOptions = {}): Promise<string> {
  const registry = options.registry ?? 'docker.io';
  const lines: string[] = [];
  const first = mirrorUrls[0];
  // containerd 1.6 rejects a hosts.toml without a `host` tree, so noFallback repeats the first
  // mirror as `server` rather than dropping the mirror entries.
  const server = options.noFallback === true && first !== undefined ? first : (options.server ?? 'https://registry-1.docker.io');
  lines.push(`server = ${JSON.stringify(server)}`, '');
  for (const url of mirrorUrls) {
    lines.push(`[host.${JSON.stringify(url)}]`, '  capabilities = ["pull", "resolve"]', '');
  }
  await mkdir(join(hostsDir, registry), { recursive: true });
  await writeFile(join(hostsDir, registry, 'hosts.toml'), lines.join('\n'));
  return hostsDir;
}
