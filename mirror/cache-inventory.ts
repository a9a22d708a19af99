// What the cache holds, image by image, for people (the Cache view, `listCache`) and for
// deleting an image without touching blobs that other cached images still use.
import { parseReference } from './reference.js';
import { removeOwnFiles, scanStore } from './store/own-files.js';
import { layoutNames } from './store/paths.js';
import type { CachedRepository } from './public-types.js';
import type { BlobStore } from './store/blob-store.js';
import type { RecordStore } from './store/records.js';
import type { References } from './store/references.js';
import { imageKey, type Pins } from './keep/pins.js';

export class CacheInventory {
  constructor(
    private readonly store: BlobStore,
    private readonly records: RecordStore,
    private readonly references: References,
    private readonly pins: Pins,
  ) {}

  async list(): Promise<CachedRepository[]> {
    await this.pins.load();
    const { images, counts } = await this.references.scan();
    const byRepository = new Map<string, CachedRepository>();
    for (const image of images) {
      const key = `${image.registry}/${image.repository}`;
      let repo = byRepository.get(key);
      if (!repo) byRepository.set(key, (repo = { registry: image.registry, repository: image.repository, images: [], bytes: 0, lastPulled: null }));
      let bytes = 0;
      let uniqueBytes = 0;
      for (const digest of image.blobs) {
        const size = this.store.size(digest) ?? 0;
        bytes += size;
        if ((counts.get(digest) ?? 0) <= 1) uniqueBytes += size;
      }
      const meta = await this.records.readTag(image.registry, image.repository, image.tag);
      const pinKey = imageKey(image.registry, image.repository, image.tag);
      repo.images.push({
        reference: image.tag,
        digest: image.digest,
        mediaType: meta?.mediaType ?? '',
        bytes,
        uniqueBytes,
        sharedBytes: bytes - uniqueBytes,
        platforms: image.platforms,
        lastPulled: image.lastPulled ? new Date(image.lastPulled).toISOString() : null,
        pinned: this.pins.has(pinKey),
        keptWarm: this.pins.keptWarm(pinKey),
      });
    }
    const result = [...byRepository.values()];
    for (const repo of result) {
      repo.bytes = repo.images.reduce((sum, i) => sum + i.bytes, 0);
      repo.lastPulled = repo.images.map((i) => i.lastPulled).filter((t): t is string => t !== null).sort().at(-1) ?? null;
    }
    return result;
  }

  /** Deletes a tag, or a whole repository, and the blobs no other cached tag still needs. */
  async delete(registry: string, repository: string, reference?: string): Promise<string[]> {
    if (reference !== undefined) parseReference(reference);
    const tags = await this.records.listTags(registry, repository);
    const doomed = reference ? tags.filter((t) => t.tag === reference || t.record.digest === reference) : tags;
    const candidates = new Set<string>();
    for (const { record } of doomed) for (const digest of await this.references.tree(record.digest)) candidates.add(digest);
    if (reference) for (const { tag } of doomed) await this.records.deleteTag(registry, repository, tag);
    else await this.records.deleteRepository(registry, repository);
    for (const remaining of await this.records.listRepositories()) {
      for (const { record } of await this.records.listTags(remaining.registry, remaining.repository)) {
        for (const digest of await this.references.tree(record.digest)) candidates.delete(digest);
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
}
