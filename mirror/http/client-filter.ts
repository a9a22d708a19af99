// Which client addresses may use the mirror. The default serves this machine, the private and
// link-local ranges and the subnets of this machine's own interfaces (lan-addresses.ts says why),
// so a mirror that is reachable from the internet by accident does not serve the internet.
import { BlockList, isIPv4 } from 'node:net';
import { parseCidr } from '../cidr.js';
import { defaultAllowlist } from '../lan-addresses.js';

export class ClientFilter {
  private list: BlockList | undefined;

  /**
   * Throws CidrError (a plain sentence naming the entry) for an entry that is not a network.
   * Without a list, the default is read from the interfaces at the first check, not here.
   */
  constructor(private readonly cidrs?: readonly string[]) {
    if (cidrs) this.list = blockListOf(cidrs);
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    this.list ??= blockListOf(defaultAllowlist());
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
    return this.list.check(remoteAddress, isIPv4(remoteAddress) ? 'ipv4' : 'ipv6');
  }
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const cidr = parseCidr(entry);
    list.addSubnet(cidr.network, cidr.prefix, cidr.family);
  }
  return list;
}

/** The client's address as people read it (IPv4-mapped IPv6 shown as IPv4). */
export function displayAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  return mapped ? mapped[1]! : remoteAddress;
}
