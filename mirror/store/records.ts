// Small JSON records beside the blobs: what media type a stored manifest has, which digest a
// tag pointed to when last checked, and which repositories the upstream confirmed hold a blob.
// Keyed by the registry's logical name (docker.io, ghcr.io), never by its upstream URL, so a
// changed upstream keeps the cache.
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { pruneEmptyDirs, removeOwnFiles } from './own-files.js';
import { layoutNames, StorePaths } from './paths.js';

export interface ManifestMeta {
  mediaType: string;
  size: number;
}

export interface TagRecord {
  digest: string;
  mediaType: string;
  size: number;
  /** Last time the upstream confirmed (or gave) this digest for the tag, ms since epoch. */
  checkedAt: number;
  /** Last time a client pulled the tag, ms since epoch. */
  lastPulled: number | null;
}

/** The last definite answer to "may anonymous users pull this repository?" (access-policy.ts). */
export interface PublicityRecord {
  value: 'public' | 'private';
  checkedAt: number;
}

/**
 * Records are read on every manifest request, so they are kept in memory after the first read
 * (write-through); the files remain the truth across restarts. Records are small: a hundred
 * thousand tags cost a few tens of megabytes at most.
 */
export class RecordStore {
  private readonly metas = new Map<string, ManifestMeta>();
  private readonly tags = new Map<string, TagRecord>();
  private readonly links = new Set<string>();

  constructor(readonly paths: StorePaths) {}

  async readManifestMeta(digest: string): Promise<ManifestMeta | null> {
    const cached = this.metas.get(digest);
    if (cached) return cached;
    const meta = await readJson<ManifestMeta>(this.paths.manifestMeta(digest));
    if (meta) this.metas.set(digest, meta);
    return meta;
  }

  async writeManifestMeta(digest: string, meta: ManifestMeta): Promise<void> {
    await writeFileAtomic(this.paths.manifestMeta(digest), JSON.stringify(meta), this.paths);
    this.metas.set(digest, meta);
  }

  async readTag(registry: string, repository: string, tag: string): Promise<TagRecord | null> {
    const path = this.paths.tag(registry, repository, tag);
    const cached = this.tags.get(path);
    if (cached) return cached;
    const record = await readJson<TagRecord>(path);
    if (record) this.tags.set(path, record);
    return record;
  }

  async writeTag(registry: string, repository: string, tag: string, record: TagRecord): Promise<void> {
    const path = this.paths.tag(registry, repository, tag);
    this.tags.set(path, record);
    await writeFileAtomic(path, JSON.stringify(record), this.paths);
  }

  async deleteTag(registry: string, repository: string, tag: string): Promise<void> {
    const path = this.paths.tag(registry, repository, tag);
    this.tags.delete(path);
    await rm(path, { force: true });
  }

  async hasLink(registry: string, repository: string, digest: string): Promise<boolean> {
    const path = this.paths.link(registry, repository, digest);
    if (this.links.has(path)) return true;
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) this.links.add(path);
    return exists;
  }

  async addLink(registry: string, repository: string, digest: string): Promise<void> {
    const path = this.paths.link(registry, repository, digest);
    if (this.links.has(path)) return;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
    this.links.add(path);
  }

  async readPublicity(registry: string, repository: string): Promise<PublicityRecord | null> {
    const record = await readJson<PublicityRecord>(this.paths.publicity(registry, repository));
    if (!record || (record.value !== 'public' && record.value !== 'private') || typeof record.checkedAt !== 'number') return null;
    return record;
  }

  async writePublicity(registry: string, repository: string, record: PublicityRecord): Promise<void> {
    await writeFileAtomic(this.paths.publicity(registry, repository), JSON.stringify(record), this.paths);
  }

  /**
   * Deletes the repository's own records: its tag records and links, by name. A repository
   * nested under it (`a/b` under `a`) and any file Dockmirror did not write stay where they are.
   */
  async deleteRepository(registry: string, repository: string): Promise<void> {
    const root = this.paths.repository(registry, repository);
    const own: string[] = [];
    for (const folder of [this.paths.tagsDir(registry, repository), this.paths.linksDir(registry, repository)]) {
      for (const name of await listDir(folder)) own.push(relative(this.paths.root, join(folder, name)).split(sep).join('/'));
    }
    own.push(relative(this.paths.root, this.paths.publicity(registry, repository)).split(sep).join('/'));
    for (const cache of [this.tags, this.links]) {
      for (const key of cache.keys()) if (dirname(dirname(key)) === root) cache.delete(key);
    }
    await removeOwnFiles(this.paths.root, own);
    await pruneEmptyDirs(this.paths.root, ancestorsBelow(this.paths.registriesDir, root));
  }

  /** Forgets everything held in memory, after the files were removed (clear cache). */
  forgetAll(): void {
    this.metas.clear();
    this.tags.clear();
    this.links.clear();
  }

  /** Every repository that has at least one tag record, per registry. */
  async listRepositories(): Promise<{ registry: string; repository: string }[]> {
    const found: { registry: string; repository: string }[] = [];
    for (const registry of await listDir(this.paths.registriesDir)) {
      const registryDir = join(this.paths.registriesDir, registry);
      await walkRepositories(registryDir, registryDir, (repository) => found.push({ registry, repository }));
    }
    return found.sort((a, b) => `${a.registry}/${a.repository}`.localeCompare(`${b.registry}/${b.repository}`));
  }

  async listTags(registry: string, repository: string): Promise<{ tag: string; record: TagRecord }[]> {
    const dir = this.paths.tagsDir(registry, repository);
    const result: { tag: string; record: TagRecord }[] = [];
    for (const file of await listDir(dir)) {
      if (!file.endsWith('.json')) continue;
      const record = await readJson<TagRecord>(join(dir, file));
      if (record) result.push({ tag: file.slice(0, -'.json'.length), record });
    }
    return result.sort((a, b) => a.tag.localeCompare(b.tag));
  }
}

async function walkRepositories(registryDir: string, dir: string, found: (repository: string) => void): Promise<void> {
  const entries = await listDir(dir);
  // A repository whose last tag was deleted keeps an empty _tags folder; it holds nothing to list.
  if (entries.includes(layoutNames.tags) && (await listDir(join(dir, layoutNames.tags))).some((file) => file.endsWith('.json'))) {
    found(relative(registryDir, dir).split(sep).join('/'));
  }
  for (const entry of entries) {
    if (entry.startsWith('_')) continue;
    await walkRepositories(registryDir, join(dir, entry), found);
  }
}

/** `dir` and each folder above it up to (not including) `top`: the ones a deletion may leave empty. */
function ancestorsBelow(top: string, dir: string): string[] {
  const found: string[] = [];
  for (let current = dir; current !== top && current.startsWith(top + sep); current = dirname(current)) found.push(current);
  return found;
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** A record that is missing or unreadable (e.g. torn by a crash before the atomic writes) reads as absent. */
async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}
