// A "LAN host" for tests: a network namespace joined to the host by a veth pair on a private /24.
// A server the test binds on hostAddress (or 0.0.0.0) is reachable from inside the namespace the
// way a mirror on the office LAN is reachable from another machine. Start daemons inside with
// `nsenter --net=<nsPath>` (not `ip netns exec`, which remounts /sys and breaks dockerd's cgroups).
import { randomBytes, randomInt } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { requireBinary, runChecked, runCommand } from './process.js';
import { pidAlive } from './stale-sweep.js';

export const IP_BINARY = '/usr/sbin/ip';
const NETNS_DIR = '/var/run/netns';
// The creator's pid is part of the name, so a later run can remove what a killed run left behind.
const NAME_PREFIX = 'dmx-';

export interface LanHost {
  /** Namespace name (`ip netns` name). */
  name: string;
  /** The host side of the veth: bind a test server here (or on 0.0.0.0). */
  hostAddress: string;
  /** The namespace side: the "other machine" on the LAN. */
  lanAddress: string;
  /** `/var/run/netns/NAME`, for `nsenter --net=`. */
  nsPath: string;
  /** Runs a command inside the namespace (nsenter --net), e.g. to probe reachability. */
  exec(file: string, args: readonly string[]): ReturnType<typeof runCommand>;
  /** Removes the namespace and both veth ends. Safe to call twice, and after a half-made setup. */
  destroy(): Promise<void>;
}

async function usedSubnets(network: string): Promise<Set<number>> {
  const result = await runChecked(IP_BINARY, ['-o', '-4', 'addr', 'show']);
  const used = new Set<number>();
  for (const match of result.stdout.matchAll(new RegExp(`inet ${network.replace(/\./g, '\\.')}\\.(\\d+)\\.`, 'g'))) used.add(Number(match[1]));
  return used;
}

/** Removes namespaces (and with them their veths) left by test processes that no longer run. */
export async function removeStaleLanHosts(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(NETNS_DIR);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = /^dmx-(\d+)-[0-9a-f]+$/.exec(name);
    if (match === null || pidAlive(Number(match[1]))) continue;
    const tag = name.split('-')[2] ?? '';
    await runCommand(IP_BINARY, ['netns', 'delete', name]);
    await runCommand(IP_BINARY, ['link', 'delete', `dmxh${tag}`]);
    removed.push(name);
  }
  return removed;
}

/**
 * Creates the namespace and veth pair on a free 10.77.X.0/24 and brings everything up. `network`
 * picks other first two octets, such as 198.18 (a LAN outside the private ranges).
 */
export async function createLanHost(network = '10.77'): Promise<LanHost> {
  await requireBinary(IP_BINARY);
  await requireBinary('/usr/bin/nsenter');
  await removeStaleLanHosts();
  const tag = randomBytes(3).toString('hex');
  const name = `${NAME_PREFIX}${process.pid}-${tag}`;
  // Interface names are limited to 15 bytes.
  const hostIf = `dmxh${tag}`;
  const nsIf = `dmxn${tag}`;
  const used = await usedSubnets(network);
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((x) => !used.has(x));
  if (free.length === 0) throw new Error(`Every ${network}.x.0/24 subnet is already in use on this machine.`);
  const subnet = free[randomInt(free.length)];
  const hostAddress = `${network}.${subnet}.1`;
  const lanAddress = `${network}.${subnet}.2`;
  const nsPath = `${NETNS_DIR}/${name}`;
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    destroyed ??= (async () => {
      // Deleting the namespace deletes its veth end, which takes the peer with it; the explicit
      // link delete covers a setup that failed before the veth moved into the namespace.
      await runCommand(IP_BINARY, ['netns', 'delete', name]);
      await runCommand(IP_BINARY, ['link', 'delete', hostIf]);
    })();
    return destroyed;
  };
  try {
    await runChecked(IP_BINARY, ['netns', 'add', name]);
    await runChecked(IP_BINARY, ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await runChecked(IP_BINARY, ['link', 'set', nsIf, 'netns', name]);
    await runChecked(IP_BINARY, ['addr', 'add', `${hostAddress}/24`, 'dev', hostIf]);
    await runChecked(IP_BINARY, ['link', 'set', hostIf, 'up']);
    await runChecked(IP_BINARY, ['-n', name, 'addr', 'add', `${lanAddress}/24`, 'dev', nsIf]);
    await runChecked(IP_BINARY, ['-n', name, 'link', 'set', nsIf, 'up']);
    await runChecked(IP_BINARY, ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    name,
    hostAddress,
    lanAddress,
    nsPath,
    exec: (file, args) => runCommand('/usr/bin/nsenter', [`--net=${nsPath}`, file, ...args]),
    destroy,
  };
}
