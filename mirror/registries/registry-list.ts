// Which registries the mirror serves, by the names clients use (`docker.io`, `ghcr.io`), and
// where it fetches each one. A name not in this list is never fetched: the mirror is no open proxy.
import type { RegistryOption } from '../public-types.js';

export interface RegistryConfig {
  /** What clients say: containerd's `ns`, a path prefix, an image name's first component. */
  name: string;
  /** Where the mirror fetches it; never part of a store key. */
  upstream: URL;
  enabled: boolean;
}

export const dockerHubName = 'docker.io';
export const dockerHubUpstream = 'https://registry-1.docker.io';

/** Built in and on unless turned off. Docker Hub first: it is the registry of unprefixed names. */
export const builtInRegistryNames: readonly string[] = Object.freeze([
  dockerHubName,
  'ghcr.io',
  'quay.io',
  'registry.k8s.io',
  'gcr.io',
  'public.ecr.aws',
  'mcr.microsoft.com',
]);

// A DNS name (labels of letters, digits and inner hyphens) or `localhost`, with an optional port.
const registryNamePattern = /^(?=.{1,253}(?::|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/;

/** Whether `name` can be a registry's name (lower-case host, optional port); never `..` or a path. */
export function isRegistryName(name: string): boolean {
  return registryNamePattern.test(name);
}

/** A path's first component names a registry when it holds a dot or a colon, or is `localhost`. */
export function namesRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function defaultUpstreamFor(name: string): string {
  return name === dockerHubName ? dockerHubUpstream : `https://${name}`;
}

export interface RegistryListInput {
  /** The docker.io upstream (`--upstream`), or that of `upstreamName` when given. */
  upstream?: string;
  /** The registry `upstream` stands for; default docker.io. */
  upstreamName?: string;
  registries?: RegistryOption[];
  defaultRegistries?: boolean;
}

/**
 * The registry list from the options: the built-in names (unless turned off), then the
 * single-upstream option, then each listed registry adding a name or overriding one. Throws a
 * sentence for a name or URL that cannot be used.
 */
export function resolveRegistries(input: RegistryListInput): RegistryConfig[] {
  const byName = new Map<string, RegistryConfig>();
  const put = (name: string, upstream: string | undefined, enabled: boolean): void => {
    if (!isRegistryName(name)) throw new Error(`"${name.slice(0, 100)}" is not a registry name: use a host name such as ghcr.io, optionally with :port.`);
    const url = parseUpstreamUrl(name, upstream ?? byName.get(name)?.upstream.href ?? defaultUpstreamFor(name));
    byName.set(name, { name, upstream: url, enabled });
  };
  if (input.defaultRegistries !== false) for (const name of builtInRegistryNames) put(name, undefined, true);
  if (input.upstream !== undefined || input.upstreamName !== undefined) put(input.upstreamName ?? dockerHubName, input.upstream, true);
  for (const option of input.registries ?? []) put(option.name, option.upstream, option.enabled ?? true);
  return [...byName.values()];
}

function parseUpstreamUrl(name: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`The upstream URL for ${name}, "${text.slice(0, 200)}", is not a URL: use one such as https://${name}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`The upstream URL for ${name} must start with https:// or http://.`);
  if (url.username || url.password) throw new Error(`The upstream URL for ${name} may not hold credentials; save them for the registry instead.`);
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new Error(`The upstream URL for ${name} must be a bare address such as https://${name}, without a path or query.`);
  }
  return url;
}
