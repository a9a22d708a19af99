// Which client addresses may use the mirror. The default serves the LAN and this machine only,
// so a mirror that is reachable from the internet by accident does not serve the internet.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export const defaultAllowlist = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

export class ClientFilter {
  private readonly list = new BlockList();

  /** Throws a plain sentence for an entry that is not a CIDR or an address. */
  constructor(cidrs: string[] = defaultAllowlist) {
    for (const entry of cidrs) {
      const [address, prefix] = entry.trim().split('/');
      const family = isIPv4(address ?? '') ? 'ipv4' : isIPv6(address ?? '') ? 'ipv6' : null;
      const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
      if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv4' ? 32 : 128)) {
        throw new Error(`"${entry}" is not an address range; write it like 192.168.1.0/24 or fd00::/8.`);
      }
      this.list.addSubnet(address!, bits, family);
    }
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
    return this.list.check(remoteAddress, isIPv4(remoteAddress) ? 'ipv4' : 'ipv6');
  }
}

/** The client's address as people read it (IPv4-mapped IPv6 shown as IPv4). */
export function displayAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  return mapped ? mapped[1]! : remoteAddress;
}
