// What a person starting the mirror from a terminal needs to see, printed by `dockmirror serve`
// and by the headless app alike: where it serves, the addresses LAN hosts can use, and the
// daemon.json lines to paste on each Docker host.
import type { MirrorAddress } from '../../mirror/lan-addresses.js';
import { daemonJsonSnippet } from '../shared/snippets.js';

export interface ServingFacts {
  upstream: string;
  listen: { host: string; port: number };
  cachePath: string;
  addresses: readonly Pick<MirrorAddress, 'mirrorUrl' | 'interfaceName' | 'family'>[];
}

export function servingBanner(facts: ServingFacts, accountLine?: string): string[] {
  const lines = [`Dockmirror is serving ${facts.upstream} on ${facts.listen.host}:${facts.listen.port}, caching in ${facts.cachePath}.`];
  if (accountLine) lines.push(accountLine);
  lines.push('LAN hosts can use:', ...facts.addresses.map((a) => `  ${a.mirrorUrl}   (${a.interfaceName})`));
  const first = facts.addresses.find((a) => a.family === 'IPv4') ?? facts.addresses[0];
  if (first) {
    lines.push('Put this in /etc/docker/daemon.json on each Docker host, then restart Docker (sudo systemctl restart docker):', daemonJsonSnippet([first.mirrorUrl]));
  }
  return lines;
}
