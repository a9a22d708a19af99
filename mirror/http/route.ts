// Turns a request line into a validated route, or a RegistryError. Only the characters the
// registry grammars allow may appear in a path, so percent-encoding, backslashes, dot segments
// and the like are refused here, before any name can reach the filesystem.
import { RegistryError } from '../errors.js';
import { parseDigest, parseReference, parseRepository } from '../reference.js';
import { dockerHubName, isRegistryName, namesRegistry } from '../registries/registry-list.js';

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'metrics' }
  | { kind: 'health' }
  | { kind: 'manifest'; repository: string; reference: { kind: 'tag' | 'digest'; value: string }; registry?: string }
  | { kind: 'blob'; repository: string; digest: string; registry?: string }
  | { kind: 'tags'; repository: string; registry?: string };

export interface ParsedRequest {
  route: Route;
  query: URLSearchParams;
  /** The repository as named for the event log before the error, when it could be parsed. */
}

const maxPathLength = 2048;
const safePath = /^[A-Za-z0-9._:/-]*$/;
const readMethods: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const writeMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function parseRequest(method: string, rawUrl: string): ParsedRequest {
  if (rawUrl.length > maxPathLength) throw new RegistryError('NAME_INVALID', 'request path too long');
  const { path, query } = splitTarget(rawUrl);
  if (!safePath.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new RegistryError('NAME_INVALID', 'invalid characters or dot segments in the request path');
  }
  const route = matchPath(path);
  if (readMethods.has(method)) return { route, query };
  if (writeMethods.has(method)) {
    throw new RegistryError('UNSUPPORTED', 'this registry is a pull-through cache: pushes and deletes are not supported');
  }
  throw new RegistryError('UNSUPPORTED', `the method ${method.slice(0, 20)} is not supported`);
}

/**
 * The path and query of any request target HTTP allows (RFC 9112 §3.2): origin-form as is, an
 * absolute-form http(s) URL by its path (proxies and some clients send those), and an error for
 * the asterisk and authority forms, which name no resource here. Never throws for the query alone:
 * see targetQuery().
 */
function splitTarget(rawUrl: string): { path: string; query: URLSearchParams } {
  const query = targetQuery(rawUrl);
  const queryStart = rawUrl.indexOf('?');
  const target = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  if (target.startsWith('/')) return { path: target, query };
  if (target === '*') throw new RegistryError('UNSUPPORTED', 'the request target * names no resource of this registry');
  const absolute = /^https?:\/\/[^/]*/i.exec(target);
  if (absolute) return { path: target.slice(absolute[0].length) || '/', query };
  throw new RegistryError('NAME_INVALID', 'malformed request target: expected a path such as /v2/');
}

/** The query of a request target, whatever else is wrong with it (URLSearchParams never throws). */
export function targetQuery(rawUrl: string): URLSearchParams {
  const queryStart = rawUrl.indexOf('?');
  return new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
}

function matchPath(path: string): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (path === '/metrics') return { kind: 'metrics' };
  if (path === '/healthz') return { kind: 'health' };
  if (!path.startsWith('/v2/')) throw new RegistryError('NOT_FOUND', 'not a registry API path');
  const rest = path.slice('/v2/'.length);
  let match = /^(.+)\/manifests\/([^/]+)$/.exec(rest);
  if (match) return { kind: 'manifest', ...repositoryOf(match[1]!), reference: parseReference(match[2]!) };
  match = /^(.+)\/blobs\/uploads(?:\/.*)?$/.exec(rest);
  if (match) throw new RegistryError('UNSUPPORTED', 'this registry is a pull-through cache: pushes are not supported');
  match = /^(.+)\/blobs\/([^/]+)$/.exec(rest);
  if (match) return { kind: 'blob', ...repositoryOf(match[1]!), digest: parseDigest(match[2]!) };
  match = /^(.+)\/tags\/list$/.exec(rest);
  if (match) return { kind: 'tags', ...repositoryOf(match[1]!) };
  throw new RegistryError('NOT_FOUND', 'not a registry API path');
}

/**
 * Splits a registry path prefix off a name (`ghcr.io/owner/app` → ghcr.io, `owner/app`): a first
 * component with a dot or a colon, or `localhost`, names a registry; Docker Hub namespaces never
 * do. `library/` is added only for Docker Hub's one-component names.
 */
function repositoryOf(name: string): { repository: string; registry?: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? name : name.slice(0, slash);
  if (slash === -1 || !namesRegistry(first)) return { repository: parseRepository(name) };
  if (!isRegistryName(first)) throw new RegistryError('NAME_INVALID', `invalid registry name in the path: ${first.slice(0, 100)}`);
  const rest = name.slice(slash + 1);
  const repository = first === dockerHubName ? parseRepository(rest) : parseRepositoryAsIs(rest);
  return { repository, registry: first };
}

/** Other registries have no `library/` namespace: a one-component name stays as it is. */
function parseRepositoryAsIs(name: string): string {
  const parsed = parseRepository(name);
  return name.includes('/') ? parsed : name;
}
