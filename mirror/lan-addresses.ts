// The addresses LAN hosts can reach the mirror at (for the CLI banner, the tray and the window),
// the default allowlist, and the check that the two agree: an address the mirror prints for LAN
// hosts must never be one its allowlist refuses.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { cidrContains, parseCidr, type Cidr } from './cidr.js';

export interface MirrorAddress {
  interfaceName: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  mirrorUrl: string;
}

/** What os.networkInterfaces() returns; a parameter so tests can hand in a table of their own. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Loopback, RFC 1918, link-local (169.254/16, fe80::/10) and unique-local ranges. */
export const privateRanges: readonly string[] = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/**
 * The networks of this machine's own interfaces (192.0.2.0/24 for an interface at 192.0.2.2/24):
 * the LAN by definition, private range or not. Loopback is in the private ranges already.
 */
export function interfaceSubnets(interfaces: InterfaceTable = networkInterfaces()): string[] {
  const subnets: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal || !info.cidr) continue;
      const text = parseCidr(info.cidr.replace(/%[^/]*/, '')).text;
      if (!subnets.includes(text)) subnets.push(text);
    }
  }
  return subnets;
}

/** The allowlist the CLI and the app start from: the private ranges plus this machine's subnets. */
export function defaultAllowlist(interfaces: InterfaceTable = networkInterfaces()): string[] {
  const list = [...privateRanges];
  for (const subnet of interfaceSubnets(interfaces)) {
    const cidr = parseCidr(subnet);
    if (!list.some((entry) => within(cidr, parseCidr(entry)))) list.push(subnet);
  }
  return list;
}

function within(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && cidrContains(outer, inner.network);
}

/** When listening on a wildcard address, every non-loopback interface address; else the one. */
export function mirrorAddresses(listen: { host: string; port: number }, interfaces: InterfaceTable = networkInterfaces()): MirrorAddress[] {
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '';
  const found: MirrorAddress[] = [];
  for (const [interfaceName, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      const family = info.family === 'IPv4' ? 'IPv4' : 'IPv6';
      if (wildcard ? info.internal || (family === 'IPv6' && info.address.startsWith('fe80')) : info.address !== listen.host) continue;
      if (listen.host === '0.0.0.0' && family === 'IPv6') continue;
      found.push({ interfaceName, address: info.address, family, mirrorUrl: mirrorUrl(info.address, listen.port) });
    }
  }
  if (found.length === 0) {
    const host = wildcard ? '127.0.0.1' : listen.host;
    found.push({ interfaceName: 'lo', address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', mirrorUrl: mirrorUrl(host, listen.port) });
  }
  return found;
}

export function mirrorUrl(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** The addresses among `addresses` that no entry of `allowlist` covers (entries that do not parse cover nothing). */
export function refusedAddresses(allowlist: readonly string[], addresses: readonly MirrorAddress[]): MirrorAddress[] {
  const cidrs = allowlist.flatMap((entry) => {
    try {
      return [parseCidr(entry)];
    } catch {
      return [];
    }
  });
  return addresses.filter((a) => !cidrs.some((cidr) => cidrContains(cidr, a.address)));
}

/**
 * A sentence for people when the allowlist refuses an address the mirror tells LAN hosts to use
 * (hosts on that network would be refused although they were told to come), or null.
 */
export function allowlistWarning(allowlist: readonly string[], addresses: readonly MirrorAddress[], interfaces: InterfaceTable = networkInterfaces()): string | null {
  const refused = refusedAddresses(allowlist, addresses);
  if (refused.length === 0) return null;
  const names = refused.map((a) => `${a.address} (${a.interfaceName})`).join(', ');
  const networks = [...new Set(refused.map((a) => subnetOf(a.address, interfaces)))].join(', ');
  return `The allowlist refuses ${names}, which the mirror lists for LAN hosts: hosts on that network would be turned away. Add ${networks} to the allowlist, or listen on another address.`;
}

/** The network of the interface holding `address`, or the address alone. */
function subnetOf(address: string, interfaces: InterfaceTable): string {
  const info = Object.values(interfaces).flatMap((infos) => infos ?? []).find((i) => i.address === address && i.cidr);
  return parseCidr(info?.cidr?.replace(/%[^/]*/, '') ?? address).text;
}
