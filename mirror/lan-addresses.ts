// The addresses LAN hosts can reach the mirror at, for the CLI banner, the tray and the window.
import { networkInterfaces } from 'node:os';

export interface MirrorAddress {
  interfaceName: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  mirrorUrl: string;
}

/** When listening on a wildcard address, every non-loopback interface address; else the one. */
export function mirrorAddresses(listen: { host: string; port: number }): MirrorAddress[] {
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '';
  const found: MirrorAddress[] = [];
  for (const [interfaceName, infos] of Object.entries(networkInterfaces())) {
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
