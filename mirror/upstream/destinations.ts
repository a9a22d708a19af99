// Where an upstream may send the mirror. Redirects and token realms are chosen by the upstream,
// so an upstream (or whoever sits on a plain-http path to it) could aim the mirror at its own
// /metrics, a router's admin page or a cloud metadata address, and have the answer served and
// cached. The rules:
// - only http and https; never the mirror's own listening address;
// - https anywhere, or the upstream's own origin; plain http to another origin is refused, with
//   one exception below;
// - never an address more internal than the upstream's own (a public upstream may not reach
//   private, link-local or loopback addresses; a LAN upstream not link-local or loopback). An
//   upstream on loopback can reach every loopback service itself, so it gains nothing from them;
// - blob bytes are checked against the digest the client asked for before they are stored, so an
//   upstream on loopback may send blobs to another loopback origin over plain http (the Docker
//   Hub stand-in's CDN is one). Manifests and tokens have no such check and get no exception.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** From least to most internal. */
const scopes = ['public', 'private', 'link-local', 'loopback'] as const;
export type AddressScope = (typeof scopes)[number] | 'unusable';

export type UpstreamRequestKind = 'manifest' | 'blob' | 'token' | 'tags';

export interface DestinationOptions {
  upstream: URL;
  /** Where the mirror listens, once it does. */
  ownAddresses?: () => { host: string; port: number }[];
}

export class DestinationPolicy {
  private upstreamScope: AddressScope | null = null;

  constructor(private readonly options: DestinationOptions) {}

  /** Learns what kind of address the upstream is from a connection to its own origin. */
  noteUpstreamAddress(address: string | undefined): void {
    if (address) this.upstreamScope = addressScope(address);
  }

  isUpstreamOrigin(url: URL): boolean {
    return url.origin === this.options.upstream.origin;
  }

  /** Why the mirror may not follow the upstream to `target`, or null when it may. */
  refusal(target: URL, kind: UpstreamRequestKind): string | null {
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return `${target.protocol} is not http or https`;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    if (isIP(host) && this.isOwnAddress(host, port)) return `${target.host} is the mirror itself`;
    if (this.isUpstreamOrigin(target) || target.protocol === 'https:') return null;
    const loopbackTarget = host === 'localhost' || (isIP(host) !== 0 && addressScope(host) === 'loopback');
    if (kind === 'blob' && this.scope() === 'loopback' && loopbackTarget) return null;
    return `${target.origin} is plain http on another origin than the upstream's`;
  }

  /** Why the mirror may not connect to `address` on `port` for a destination the upstream chose. */
  addressRefusal(address: string, port: number): string | null {
    if (this.isOwnAddress(address, port)) return `${address} is the mirror itself`;
    const scope = addressScope(address);
    if (scope === 'unusable') return `${address} is not a usable address`;
    const upstream = this.scope();
    if (upstream !== 'unusable' && scopes.indexOf(scope) > scopes.indexOf(upstream)) return `${address} is a ${scope} address and the upstream is not`;
    return null;
  }

  /** Credentials go only over https or to the upstream's own origin, never to a realm reached by a redirect. */
  mayReceiveCredentials(realm: URL, reachedByRedirect: boolean): boolean {
    return !reachedByRedirect && (realm.protocol === 'https:' || this.isUpstreamOrigin(realm));
  }

  private scope(): AddressScope {
    if (this.upstreamScope) return this.upstreamScope;
    const host = this.options.upstream.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost') return 'loopback';
    // Until the upstream was reached, a name counts as public: the strictest rules.
    return isIP(host) ? addressScope(host) : 'public';
  }

  private isOwnAddress(address: string, port: number): boolean {
    const own = this.options.ownAddresses?.() ?? [];
    const normalized = unmapped(address);
    return own.some((listen) => {
      if (listen.port !== port) return false;
      const host = unmapped(listen.host.replace(/^\[|\]$/g, ''));
      if (host === normalized) return true;
      if (host === '0.0.0.0' || host === '::' || host === '' || host === 'localhost') return localAddresses().has(normalized) || addressScope(normalized) === 'loopback';
      return false;
    });
  }
}

function localAddresses(): Set<string> {
  const found = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) found.add(entry.address.replace(/%.*$/, ''));
  return found;
}

function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address.toLowerCase();
}

export function addressScope(address: string): AddressScope {
  const plain = unmapped(address.replace(/%.*$/, ''));
  if (isIP(plain) === 4) return ipv4Scope(plain.split('.').map(Number));
  if (isIP(plain) === 6) return ipv6Scope(ipv6Words(plain));
  return 'unusable';
}

function ipv4Scope([a, b]: number[]): AddressScope {
  if (a === undefined || b === undefined) return 'unusable';
  // 0.0.0.0/8 reaches this host on Linux; multicast, reserved and broadcast are no registry.
  if (a === 0 || a >= 224) return 'unusable';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  return 'public';
}

function ipv6Scope(words: number[]): AddressScope {
  if (words.every((word) => word === 0)) return 'unusable';
  if (words.slice(0, 7).every((word) => word === 0) && words[7] === 1) return 'loopback';
  const first = words[0]!;
  // IPv4 inside IPv6 (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96) is judged as the IPv4 address.
  const embedsV4 = (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) || (first === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0));
  if (embedsV4) return ipv4Scope([words[6]! >> 8, words[6]! & 0xff]);
  if ((first & 0xff00) === 0xff00) return 'unusable';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  return 'public';
}

function ipv6Words(address: string): number[] {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] => (part ? part.split(':').filter(Boolean).map((word) => parseInt(word, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}
