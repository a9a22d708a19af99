// Who may reach the window's server. The window drives the mirror (settings, cache, credentials),
// so by default it listens on loopback only, and only answers under the names loopback has:
// a DNS-rebinding page reaches it under its own name (even one like 127.0.0.1.evil.example), and
// is refused. Serving it to the LAN is a choice the user makes out loud (--ui-allow-lan); then
// the mirror's allowlist applies to the window's clients too.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ClientFilter } from '../../mirror/http/client-filter.js';

const loopbackHosts: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackAddress(host: string): boolean {
  return loopbackHosts.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(host);
}

/** Refuses a window address other machines could reach unless `allowLan`; a sentence says why. */
export function assertUiAddressAllowed(ui: { host: string; port: number }, allowLan: boolean): void {
  if (isLoopbackAddress(ui.host) || allowLan) return;
  throw new Error(
    `The window would listen on ${ui.host.includes(':') ? `[${ui.host}]` : ui.host}:${ui.port}, where other machines can reach it, and whoever opens it controls the mirror. ` +
      'Use 127.0.0.1:PORT, or add --ui-allow-lan to serve it to the networks of the allowlist on purpose.',
  );
}

/** The sentence printed when the window is served beyond loopback. */
export function lanWindowWarning(ui: { host: string; port: number }): string {
  return `Warning: the window listens on ${ui.host.includes(':') ? `[${ui.host}]` : ui.host}:${ui.port}, reachable from the LAN: anyone on an allowed network who has its address with the token can change the mirror's settings and cache.`;
}

/**
 * The Host header values the window answers to: `localhost`, `127.0.0.1` and `[::1]`, and the
 * exact address it is bound to (every address of this machine when bound to a wildcard), each
 * with the port it listens on. Names other than these are what a rebinding page would send.
 */
export function allowedHostHeaders(bound: { host: string; port: number }): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::';
  const addresses = wildcard
    ? Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((info) => info.address.replace(/%.*$/, '')))
    : [bound.host];
  for (const address of addresses) names.push(isIP(address) === 6 ? `[${address}]` : address);
  return new Set(names.map((name) => `${name}:${bound.port}`.toLowerCase()));
}

/** Whether a window client at `remoteAddress` may be served: loopback always, others by the allowlist. */
export function windowClientAllowed(remoteAddress: string | undefined, allowlist: readonly string[] | null): boolean {
  if (!remoteAddress) return false;
  if (isLoopbackAddress(remoteAddress)) return true;
  if (allowlist === null) return false;
  try {
    return new ClientFilter(allowlist).allows(remoteAddress);
  } catch {
    return false;
  }
}
