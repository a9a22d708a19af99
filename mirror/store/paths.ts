// The on-disk layout, written down in one place. Every path the store touches is built here
// from validated names (reference.ts), and each one is checked to lie inside the cache root,
// so a name that slipped past a caller's validation still reaches nothing outside the cache.
//
// <root>/
//   dockmirror-cache.json                      the marker: this folder is Dockmirror's (layout N)
//   blobs/sha256/<ab>/<hex>                    content, shared by every repository and upstream
//   manifests/sha256/<ab>/<hex>.json           media type and size of a manifest stored as a blob
//   registries/<registry>/<repository>/_tags/<tag>.json    tag → digest records
//   registries/<registry>/<repository>/_links/<hex>        the upstream confirmed this repository has it
//   registries/<registry>/<repository>/_publicity.json     last definite "is it public?" answer
// <registry> is the name clients use (docker.io, ghcr.io; registryKey()), never the upstream URL.
//   tmp/<24 hex>.part                          downloads in progress; swept at start
//   tmp/<16 hex>.rec                           a record being written (atomic-file.ts)
//   tmp/health-<8 hex>                         the health check's write probe
// Nothing else in the folder is Dockmirror's, so nothing else is ever deleted.
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RegistryError } from '../errors.js';
import { digestHex, parseDigest, parseRepository, parseTag } from '../reference.js';

/** Bumped when the layout changes in a way an older Dockmirror would misread. */
export const storeLayoutVersion = 1;
/** Every name the layout is built from: StorePaths builds with them, own-files.ts recognises them. */
export const layoutNames = {
  marker: 'dockmirror-cache.json',
  blobs: 'blobs',
  manifests: 'manifests',
  registries: 'registries',
  tmp: 'tmp',
  algorithm: 'sha256',
  tags: '_tags',
  links: '_links',
  publicity: '_publicity.json',
  pins: 'pins.json',
} as const;
export const markerFileName = layoutNames.marker;

export type TempKind = 'part' | 'rec' | 'probe';

const tempNames: Record<TempKind, { make: () => string; pattern: RegExp }> = {
  part: { make: () => `${randomBytes(12).toString('hex')}.part`, pattern: /^[a-f0-9]{24}\.part$/ },
  rec: { make: () => `${randomBytes(8).toString('hex')}.rec`, pattern: /^[a-f0-9]{16}\.rec$/ },
  probe: { make: () => `health-${randomBytes(4).toString('hex')}`, pattern: /^health-[a-f0-9]{8}$/ },
};

/** Written at the root by the CLI's write check before the probe moved into tmp/; left behind by a crash. */
export const legacyWriteProbe = /^\.dockmirror-write-test-\d+$/;

/** Whether a name in tmp/ is one the engine writes there (and so may sweep). */
export function isOwnTempName(name: string): boolean {
  return Object.values(tempNames).some(({ pattern }) => pattern.test(name));
}

/** What registryKey() can produce: never empty, never starting with a dot (so never `.` or `..`). */
const registryKeyPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

export function isRegistryKey(key: string): boolean {
  return registryKeyPattern.test(key);
}

export class StorePaths {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get marker(): string {
    return join(this.root, layoutNames.marker);
  }

  /** `blobs/`: its presence alone marks a cache of a Dockmirror older than the marker. */
  get blobsRoot(): string {
    return join(this.root, layoutNames.blobs);
  }

  get blobsDir(): string {
    return join(this.blobsRoot, layoutNames.algorithm);
  }

  get manifestsDir(): string {
    return join(this.root, layoutNames.manifests, layoutNames.algorithm);
  }

  get tmpDir(): string {
    return join(this.root, layoutNames.tmp);
  }

  /** The images the owner pinned (mirror/keep/pins.ts). */
  get pins(): string {
    return join(this.root, layoutNames.pins);
  }

  get registriesDir(): string {
    return join(this.root, layoutNames.registries);
  }

  /** `blobs/sha256/<ab>`, for listing what the store holds; undefined for a name that is no shard. */
  blobShard(name: string): string | undefined {
    return /^[a-f0-9]{2}$/.test(name) ? join(this.blobsDir, name) : undefined;
  }

  /** A file in tmp/ named by readdir, when the name is one the engine writes (and so may sweep). */
  ownTempFile(name: string): string | undefined {
    return isOwnTempName(name) ? join(this.tmpDir, name) : undefined;
  }

  /** A fresh name in tmp/ of the kind the sweep recognises as the engine's own. */
  tempFile(kind: TempKind): string {
    return join(this.tmpDir, tempNames[kind].make());
  }

  blob(digest: string): string {
    const hex = digestHex(parseDigest(digest));
    return this.inside(join(this.blobsDir, hex.slice(0, 2), hex));
  }

  manifestMeta(digest: string): string {
    const hex = digestHex(parseDigest(digest));
    return this.inside(join(this.manifestsDir, hex.slice(0, 2), `${hex}.json`));
  }

  repository(registry: string, repository: string): string {
    if (!isRegistryKey(registry)) throw new RegistryError('NAME_INVALID', 'invalid registry name');
    // Validated, not normalised: the store keeps the name it was given (`library/x`, not `x`).
    parseRepository(repository);
    return this.inside(join(this.registriesDir, registry, ...repository.split('/')));
  }

  tagsDir(registry: string, repository: string): string {
    return join(this.repository(registry, repository), layoutNames.tags);
  }

  tag(registry: string, repository: string, tag: string): string {
    return join(this.tagsDir(registry, repository), `${parseTag(tag)}.json`);
  }

  linksDir(registry: string, repository: string): string {
    return join(this.repository(registry, repository), layoutNames.links);
  }

  link(registry: string, repository: string, digest: string): string {
    return join(this.linksDir(registry, repository), digestHex(parseDigest(digest)));
  }

  publicity(registry: string, repository: string): string {
    return join(this.repository(registry, repository), layoutNames.publicity);
  }

  /** Defence in depth: a built path that is not strictly under the root is refused, never used. */
  inside(path: string): string {
    const rel = relative(this.root, resolve(path));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new RegistryError('NAME_INVALID', 'the name does not resolve inside the cache');
    }
    return path;
  }
}

/**
 * The key records were kept under before registries had names (one upstream per mirror): Docker
 * Hub's was `docker.io`, any other upstream's its host and port. Only the migration needs it.
 */
export function legacyRegistryName(upstream: URL): string {
  if (upstream.hostname === 'registry-1.docker.io' || upstream.hostname === 'index.docker.io') return 'docker.io';
  return upstream.host;
}

/** The folder a registry's records live under, from the name clients use (`localhost:5000` → `localhost_5000`). */
export function registryKey(name: string): string {
  const key = name.replace(/[^A-Za-z0-9.-]/g, '_');
  // A leading dot would make `.` or `..`; the key names a folder, so it may not.
  return key.startsWith('.') ? `_${key.slice(1)}` : key;
}
