// Image names the way people write them (`nginx`, `ghcr.io/owner/app:1.2`,
// `localhost:5000/team/tool@sha256:…`), split into the registry the mirror routes by, the
// repository and the tag or digest. The registry is the first component only when it looks
// like a host (a dot, a port or `localhost`), as Docker decides.
import { RegistryError } from '../errors.js';
import { parseDigest, parseTag } from '../reference.js';

export interface ImageName {
  /** As clients name it: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const nameComponent = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

export function parseImageName(raw: string): ImageName {
  const text = raw.trim();
  const fail = (why: string): never => {
    throw new RegistryError('NAME_INVALID', `"${text.slice(0, 200)}" is not an image name: ${why}.`);
  };
  if (!text) fail('it is empty');
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = parseDigest(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = parseTag(rest.slice(colon + 1));
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) registry = parts.shift()!.toLowerCase();
  if (dockerHubAliases.has(registry)) registry = 'docker.io';
  if (parts.length === 0 || !parts.every((part) => nameComponent.test(part))) fail('the repository must be lowercase letters, digits and separators');
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), tag, digest };
}

export function formatImageName(name: ImageName): string {
  return `${name.registry}/${name.repository}${name.tag ? `:${name.tag}` : ''}${name.digest ? `@${name.digest}` : ''}`;
}
