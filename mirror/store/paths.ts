// The on-disk layout, written down in one place. Every path the store touches is built here
// from validated names (reference.ts), so nothing outside the cache root is reachable.
//
// <root>/
//   blobs/sha256/<ab>/<hex>                    content, shared by every repository and upstream
//   manifests/sha256/<ab>/<hex>.json           media type and size of a manifest stored as a blob
//   registries/<registry>/<repository>/_tags/<tag>.json    tag → digest records
//   registries/<registry>/<repository>/_links/<hex>        the upstream confirmed this repository has it
//   tmp/<random>.part                          downloads in progress; swept at start
import { join } from 'node:path';
import { digestHex } from '../reference.js';

export class StorePaths {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }

  get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  get registriesDir(): string {
    return join(this.root, 'registries');
  }

  blob(digest: string): string {
    const hex = digestHex(digest);
    return join(this.blobsDir, hex.slice(0, 2), hex);
  }

  manifestMeta(digest: string): string {
    const hex = digestHex(digest);
    return join(this.root, 'manifests', 'sha256', hex.slice(0, 2), `${hex}.json`);
  }

  repository(registry: string, repository: string): string {
    return join(this.registriesDir, registry, ...repository.split('/'));
  }

  tagsDir(registry: string, repository: string): string {
    return join(this.repository(registry, repository), '_tags');
  }

  tag(registry: string, repository: string, tag: string): string {
    return join(this.tagsDir(registry, repository), `${tag}.json`);
  }

  link(registry: string, repository: string, digest: string): string {
    return join(this.repository(registry, repository), '_links', digestHex(digest));
  }
}

/**
 * The name clients use for the registry an upstream serves (containerd's `ns` parameter):
 * Docker Hub is `docker.io`, any other registry its host and port.
 */
export function registryName(upstream: URL): string {
  if (upstream.hostname === 'registry-1.docker.io' || upstream.hostname === 'index.docker.io') return 'docker.io';
  return upstream.host;
}

/** The directory an upstream's records live under, so more upstreams can share one store later. */
export function registryKey(name: string): string {
  return name.replace(/[^A-Za-z0-9.-]/g, '_');
}
