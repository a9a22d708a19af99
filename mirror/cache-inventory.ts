// What the cache holds, image by image, for people (the Cache view, `listCache`) and for
// deleting an image without touching blobs that other cached images still use.
import { parseReference } from './reference.js';
import { removeOwnFiles, scanStore } from './store/own-files.js';
import { layoutNames } from './store/paths.js';
import type { CachedImage, CachedRepository } from './public-types.js';
import type { BlobStore } from './store/blob-store.js';
import type { RecordStore } from './store/records.js';

interface ManifestJson {
  manifests?: { digest?: unknown }[];
  config?: { digest?: unknown };
  layers?: { digest?: unknown }[];
}

export class CacheInventory {
  constructor(
    private readonly store: BlobStore,
    private readonly records: RecordStore,
  ) {}

  async list(): Promise<CachedRepository[]> {
    const result: CachedRepository[] = [];
    for (const { registry, repository } of await this.records.listRepositories()) {
      const images: CachedImage[] = [];
      for (const { tag, record } of await this.records.listTags(registry, repository)) {
        const digests = await this.tree(record.digest);
        const bytes = [...digests].reduce((sum, digest) => sum + (this.store.size(digest) ?? 0), 0);
        const lastPulled = record.lastPulled ? new Date(record.lastPulled).toISOString() : null;
        images.push({ reference: tag, digest: record.digest, mediaType: record.mediaType, bytes, lastPulled });
      }
      const lastPulled = images.map((i) => i.lastPulled).filter((t): t is string => t !== null).sort().at(-1) ?? null;
      result.push({ registry, repository, images, bytes: images.reduce((sum, i) => sum + i.bytes, 0), lastPulled });
    }
    return result;
  }

  /** Deletes a tag, or a whole repository, and the blobs no other cached tag still needs. */
  async delete(registry: string, repository: string, reference?: string): Promise<string[]> {
    if (reference !== undefined) parseReference(reference);
    const tags = await this.records.listTags(registry, repository);
    const doomed = reference ? tags.filter((t) => t.tag === reference || t.record.digest === reference) : tags;
    const candidates = new Set<string>();
    for (const { record } of doomed) for (const digest of await this.tree(record.digest)) candidates.add(digest);
    if (reference) for (const { tag } of doomed) await this.records.deleteTag(registry, repository, tag);
    else await this.records.deleteRepository(registry, repository);
    for (const remaining of await this.records.listRepositories()) {
      for (const { record } of await this.records.listTags(remaining.registry, remaining.repository)) {
        for (const digest of await this.tree(record.digest)) candidates.delete(digest);
      }
    }
    const deleted: string[] = [];
    for (const digest of candidates) if (await this.store.delete(digest)) deleted.push(digest);
    return deleted;
  }

  /**
   * Empties the cache except blobs being read right now and downloads in progress. Only the
   * store's own files go (blobs by digest name, its records); a file somebody else put in the
   * folder stays, and so does every folder still holding one.
   */
  async clear(): Promise<void> {
    for (const digest of this.store.digests()) await this.store.delete(digest);
    const records = await scanStore(this.store.paths.root, new Set([layoutNames.blobs, layoutNames.tmp]));
    const recordTops = [layoutNames.registries, layoutNames.manifests];
    await removeOwnFiles(this.store.paths.root, records.own.filter((file) => recordTops.some((top) => file.startsWith(`${top}/`))));
    this.records.forgetAll();
  }

  /** The digest itself and everything it references that the store holds. */
  private async tree(digest: string, seen = new Set<string>()): Promise<Set<string>> {
    if (seen.has(digest)) return seen;
    seen.add(digest);
    if (!this.store.has(digest) || !(await this.records.readManifestMeta(digest))) return seen;
    const manifest = await this.store
      .read(digest)
      .then((bytes) => JSON.parse(bytes.toString('utf8')) as ManifestJson)
      .catch(() => null);
    if (!manifest) return seen;
    const children = [
      ...(manifest.manifests ?? []).map((m) => m.digest),
      manifest.config?.digest,
      ...(manifest.layers ?? []).map((l) => l.digest),
    ].filter((d): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d));
    for (const child of children) {
      if ((manifest.manifests ?? []).some((m) => m.digest === child)) await this.tree(child, seen);
      else seen.add(child);
    }
    return seen;
  }
}
