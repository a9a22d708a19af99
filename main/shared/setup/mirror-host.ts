// Which address a setup script names for the mirror. The Host header is the address the LAN host
// used, so it is the right one to write into its config, but any client can send any Host: it is
// taken only when it is one of the mirror's own addresses on the port the request came in on.

export interface ArrivedOn {
  /** The mirror's own address and port the request arrived on (the socket's local end). */
  local: { address: string; port: number };
  hostHeader: string | undefined;
}

function bare(address: string): string {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  return unbracketed.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

function parseHost(header: string): { host: string; port: number } | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})$/.exec(header.trim());
  if (!match) return null;
  return { host: bare(match[1]!), port: Number(match[2]) };
}

/**
 * The `http://host:port` a script should use: the Host header when it names one of `ownAddresses`
 * (or the address the request arrived on) and the local port; otherwise the address the request
 * arrived on, which is the mirror's own by definition and reached this host already.
 */
export function scriptMirrorUrl(request: ArrivedOn, ownAddresses: readonly string[]): string {
  const local = bare(request.local.address);
  const known = new Set([local, ...ownAddresses.map(bare)]);
  const fromHeader = request.hostHeader === undefined ? null : parseHost(request.hostHeader);
  const host = fromHeader && fromHeader.port === request.local.port && known.has(fromHeader.host) ? fromHeader.host : local;
  return `http://${host.includes(':') ? `[${host}]` : host}:${request.local.port}`;
}
